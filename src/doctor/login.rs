//! Check 5: the login user. "Permission denied (publickey)" is as often the
//! wrong user as the wrong key (the course's "Richtiger Benutzername für
//! SSH verwendet?"): each image family has its own (`ec2-user`, `ubuntu`,
//! `admin`, ...). The template's word wins; else the image's own
//! (`os_admin_user`, `os_distro`, its name); else the course default.

use crate::cloud::Provider;
use crate::cloud::facts::{FactKind, Facts, ImageFacts};
use crate::doctor::{Check, DoctorContext, Finding};

pub async fn check(provider: &dyn Provider, ctx: &DoctorContext) -> Finding {
    let configured = ctx
        .login_user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let image = provider.facts(&ctx.instance, FactKind::Image).await;
    if let Some(user) = configured {
        // The template's word stands even when the cloud cannot be asked;
        // the image only adds a hint when it suggests someone else.
        let hint = match &image {
            Ok(Facts::Image(Some(img))) => user_for_image(img),
            _ => None,
        };
        return from_template(user, hint);
    }
    match image {
        Ok(Facts::Image(image)) => judge(ctx, &ctx.instance.image, image.as_ref()),
        Ok(other) => Finding::unknown(Check::LoginUser, format!("unexpected answer: {other:?}")),
        Err(e) => Finding::unasked(Check::LoginUser, &e),
    }
}

/// The template (or the cloud's config) names the user.
fn from_template(user: &str, image_says: Option<(String, &'static str)>) -> Finding {
    let mut finding =
        Finding::pass(Check::LoginUser, format!("{user}: from the template")).with_value(user);
    if let Some((other, why)) = image_says.filter(|(other, _)| other != user) {
        // A course image may well have its own user: a hint, not a failure.
        finding.lines.push(format!(
            "{why} suggests {other}; if ssh says 'Permission denied', try {other}"
        ));
    }
    finding
}

/// The user for an instance whose template names none.
pub fn judge(ctx: &DoctorContext, image_id: &str, image: Option<&ImageFacts>) -> Finding {
    if let Some((user, why)) = image.and_then(user_for_image) {
        return Finding::pass(Check::LoginUser, format!("{user}: from {why}")).with_value(user);
    }
    let default = &ctx.default_user;
    let reason = match image {
        Some(_) => format!("{default}: the image says nothing about its user; the course default"),
        None => {
            format!("{default}: the cloud no longer knows image {image_id}; the course default")
        }
    };
    Finding::unknown(Check::LoginUser, reason).with_fix(format!(
        "if ssh says 'Permission denied', try ec2-user, ubuntu, admin or cloud, and set login_user in the template ({})",
        ctx.cloud_label
    ))
}

/// An image family: the words that name it and its login user.
struct Family {
    words: &'static [&'static str],
    user: &'static str,
}

/// AWS's and the distributions' documented default users. `amzn` before
/// the rest: Amazon Linux images' names say `amzn2`/`al2023` only.
const FAMILIES: &[Family] = &[
    Family {
        words: &["amazon linux", "amazon-linux", "amzn", "al2023", "al2022"],
        user: "ec2-user",
    },
    Family {
        words: &["ubuntu"],
        user: "ubuntu",
    },
    Family {
        words: &["debian"],
        user: "admin",
    },
    Family {
        words: &["centos"],
        user: "centos",
    },
    Family {
        words: &["fedora"],
        user: "fedora",
    },
    Family {
        words: &["rhel", "red hat", "redhat"],
        user: "ec2-user",
    },
    Family {
        words: &["suse", "sles"],
        user: "ec2-user",
    },
    Family {
        words: &["rocky"],
        user: "rocky",
    },
    Family {
        words: &["almalinux", "alma linux"],
        user: "ec2-user",
    },
    Family {
        words: &["cirros"],
        user: "cirros",
    },
];

/// The login user an image says or implies, and where that came from:
/// Glance's `os_admin_user`, else its `os_distro`, else the image's name,
/// else its description (AMIs say their distribution there).
pub fn user_for_image(image: &ImageFacts) -> Option<(String, &'static str)> {
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(user) = given(&image.os_admin_user) {
        return Some((user, "the image's os_admin_user"));
    }
    let sources = [
        (&image.os_distro, "the image's os_distro"),
        (&image.name, "the image name"),
        (&image.description, "the image description"),
    ];
    sources.iter().find_map(|(text, why)| {
        let text = given(text)?;
        family_user(&text).map(|user| (user.to_string(), *why))
    })
}

/// The family named earliest in `text`: "Ubuntu ... (Debian based)" is an
/// Ubuntu image.
fn family_user(text: &str) -> Option<&'static str> {
    let text = text.to_ascii_lowercase();
    FAMILIES
        .iter()
        .filter_map(|f| {
            f.words
                .iter()
                .filter_map(|w| word_at(&text, w))
                .min()
                .map(|at| (at, f.user))
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, user)| user)
}

/// Where `word` starts a word of `text` (after its start or a non-letter),
/// so `sles` never matches inside `bundles`.
fn word_at(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::CloudError;
    use crate::cloud::unavailable::UnavailableProvider;
    use crate::doctor::Verdict;
    use crate::domain::model::CloudKind;

    fn named(name: &str) -> ImageFacts {
        ImageFacts {
            id: "ami-0abc".into(),
            name: Some(name.into()),
            ..ImageFacts::default()
        }
    }

    fn user(image: &ImageFacts) -> Option<String> {
        user_for_image(image).map(|(u, _)| u)
    }

    #[test]
    fn ami_names_give_the_user() {
        let cases = [
            ("al2023-ami-2023.6.20241031.0-kernel-6.1-x86_64", "ec2-user"),
            ("amzn2-ami-hvm-2.0.20230504.1-x86_64-gp2", "ec2-user"),
            (
                "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20230516",
                "ubuntu",
            ),
            ("debian-12-amd64-20231013-1532", "admin"),
            ("CentOS-7-2111-20220825_1.x86_64", "centos"),
            ("Fedora-Cloud-Base-39-1.5.x86_64-hvm", "fedora"),
            ("RHEL-9.2.0_HVM-20230503-x86_64-41-Hourly2-GP2", "ec2-user"),
            ("suse-sles-15-sp5-v20231220-hvm-ssd-x86_64", "ec2-user"),
            ("Rocky-9-EC2-Base-9.3-20231113.0.x86_64", "rocky"),
            ("AlmaLinux OS 9.3.20231124 x86_64", "ec2-user"),
            ("cirros-0.6.2-x86_64-disk", "cirros"),
        ];
        for (name, want) in cases {
            assert_eq!(user(&named(name)).as_deref(), Some(want), "{name}");
        }
        assert_eq!(user(&named("course-image-2026")), None);
        assert_eq!(
            user(&named("bundles-of-joy")),
            None,
            "no 'sles' inside a word"
        );
    }

    #[test]
    fn glance_properties_come_first() {
        let img = ImageFacts {
            os_admin_user: Some("cloud".into()),
            os_distro: Some("ubuntu".into()),
            ..named("debian-12")
        };
        assert_eq!(
            user_for_image(&img),
            Some(("cloud".to_string(), "the image's os_admin_user"))
        );
        let img = ImageFacts {
            os_admin_user: Some("  ".into()),
            os_distro: Some("ubuntu".into()),
            ..named("debian-12")
        };
        assert_eq!(
            user_for_image(&img),
            Some(("ubuntu".to_string(), "the image's os_distro"))
        );
        let img = ImageFacts {
            description: Some(
                "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2023-05-16".into(),
            ),
            ..named("my-snapshot")
        };
        assert_eq!(
            user_for_image(&img),
            Some(("ubuntu".to_string(), "the image description"))
        );
    }

    #[test]
    fn the_earliest_family_named_wins() {
        assert_eq!(
            family_user("ubuntu 22.04 (debian based)"),
            Some("ubuntu"),
            "named first"
        );
        assert_eq!(family_user("debian 12, not ubuntu"), Some("admin"));
    }

    fn ctx(login_user: Option<&str>) -> DoctorContext {
        DoctorContext {
            instance: crate::testutil::instance("i-0abc", "web"),
            cloud_label: "default/eu-west-1".into(),
            login_user: login_user.map(str::to_string),
            identity_file: None,
            default_user: "ec2-user".into(),
            service_ports: Vec::new(),
            health_url: None,
            home: None,
            console_lines: 500,
            probe_timeout: std::time::Duration::from_secs(1),
        }
    }

    #[test]
    fn judged_from_the_image_or_the_default() {
        let c = ctx(None);
        let ubuntu = judge(&c, "ami-0abc", Some(&named("ubuntu-jammy-22.04")));
        assert_eq!(ubuntu.verdict, Verdict::Pass);
        assert_eq!(ubuntu.reason, "ubuntu: from the image name");
        let silent = judge(&c, "ami-0abc", Some(&named("course-image")));
        assert_eq!(silent.verdict, Verdict::Unknown);
        assert!(
            silent
                .reason
                .starts_with("ec2-user: the image says nothing")
        );
        assert!(silent.fix.is_some());
        let gone = judge(&c, "ami-0abc", None);
        assert_eq!(gone.verdict, Verdict::Unknown);
        assert!(
            gone.reason.contains("no longer knows image ami-0abc"),
            "{}",
            gone.reason
        );
    }

    #[test]
    fn the_template_hints_when_the_image_disagrees() {
        let same = from_template("ubuntu", Some(("ubuntu".into(), "the image name")));
        assert_eq!(same.verdict, Verdict::Pass);
        assert!(same.lines.is_empty());
        let other = from_template("cloud", Some(("ubuntu".into(), "the image name")));
        assert_eq!(other.verdict, Verdict::Pass);
        assert_eq!(other.reason, "cloud: from the template");
        assert_eq!(other.lines.len(), 1);
        assert!(other.lines[0].contains("try ubuntu"), "{:?}", other.lines);
    }

    #[tokio::test]
    async fn check_keeps_the_template_when_the_cloud_fails() {
        let p = UnavailableProvider::new(CloudKind::Aws, "x", CloudError::message("down"));
        let f = check(&p, &ctx(Some("ec2-user"))).await;
        assert_eq!(f.verdict, Verdict::Pass);
        assert!(!f.unasked);
        let f = check(&p, &ctx(Some("  "))).await;
        assert!(f.unasked, "a blank user is no user: {f:?}");
        let f = check(&p, &ctx(None)).await;
        assert!(f.unasked);
        assert_eq!(f.verdict, Verdict::Unknown);
    }
}
