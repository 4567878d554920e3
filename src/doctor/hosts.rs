//! Check 6: the host key. A cloud hands a released address to the next
//! instance, so `~/.ssh/known_hosts` may hold an old instance's key for it
//! and ssh then refuses with "REMOTE HOST IDENTIFICATION HAS CHANGED" (the
//! course's `ssh-keygen -R <ip>`). hytop cannot tell whose key a line holds;
//! it says where the line is and why hytop's own ssh is not hurt by it.
//!
//! hytop's ssh passes `-o HostKeyAlias=<instance id>`, so ssh files the key
//! under the id: an entry under the id is this very instance's.

use std::path::Path;

use crate::doctor::{Check, DoctorContext, Finding};

pub async fn check(ctx: &DoctorContext) -> Finding {
    let inst = &ctx.instance;
    let Some(address) = inst.ssh_address() else {
        return Finding::unknown(
            Check::HostKey,
            "the instance has no address yet: nothing to look up in known_hosts",
        );
    };
    let Some(home) = ctx.home.as_deref() else {
        return Finding::unknown(
            Check::HostKey,
            "cannot tell where ~ is ($HOME unset): known_hosts not read",
        );
    };
    let path = home.join(".ssh").join("known_hosts");
    // A known_hosts of a few thousand lines reads in microseconds: not worth
    // a blocking-pool hop.
    match std::fs::read(&path) {
        Ok(bytes) => judge(&String::from_utf8_lossy(&bytes), address, &inst.id),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Finding::pass(
            Check::HostKey,
            format!("no known_hosts yet: the first ssh to {address} asks to trust its key"),
        ),
        Err(e) => Finding::unknown(
            Check::HostKey,
            format!("cannot read {}: {e}", shown(&path, home)),
        ),
    }
}

/// `~/.ssh/known_hosts` for the reason line.
fn shown(path: &Path, home: &Path) -> String {
    match path.strip_prefix(home) {
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => path.display().to_string(),
    }
}

/// What `known_hosts` (its text) says about `address` and the instance
/// known as `alias`.
pub fn judge(text: &str, address: &str, alias: &str) -> Finding {
    let by_alias = entries_for(text, alias);
    let by_address = entries_for(text, address);
    if let Some(line) = by_alias.first() {
        let mut finding = Finding::pass(
            Check::HostKey,
            format!("known as {alias} (line {line}): hytop's ssh checks that key"),
        );
        if !by_address.is_empty() {
            finding.lines.push(format!(
                "{address} is in known_hosts too ({}): a plain `ssh {address}` may refuse; ssh-keygen -R {address}",
                line_words(&by_address)
            ));
        }
        return finding;
    }
    if by_address.is_empty() {
        return Finding::pass(
            Check::HostKey,
            format!("no old host key for {address}: the first ssh asks to trust it"),
        );
    }
    Finding::unknown(
        Check::HostKey,
        format!(
            "{address} is in known_hosts ({}): if it belonged to an earlier instance ssh will refuse with 'REMOTE HOST IDENTIFICATION HAS CHANGED'",
            line_words(&by_address)
        ),
    )
    .with_fix(format!(
        "hytop's ssh uses -o HostKeyAlias={alias}, so a reused address never clashes; or ssh-keygen -R {address}"
    ))
}

/// `line 12`, `lines 12, 40`.
fn line_words(lines: &[usize]) -> String {
    let numbers: Vec<String> = lines.iter().map(usize::to_string).collect();
    match numbers.as_slice() {
        [one] => format!("line {one}"),
        _ => format!("lines {}", numbers.join(", ")),
    }
}

/// The lines (1-based, as an editor and ssh's own warning number them) of
/// `known_hosts` text that hold a host key for `host` on port 22: plain
/// names, comma-separated lists, `[host]:22`, wildcards with negation, and
/// hashed `|1|salt|hash` names. `@cert-authority` and `@revoked` lines are
/// not keys of the host and are left out.
pub fn entries_for(text: &str, host: &str) -> Vec<usize> {
    let host = host.trim().to_ascii_lowercase();
    if host.is_empty() {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| line_is_for(line, &host))
        .map(|(i, _)| i + 1)
        .collect()
}

fn line_is_for(line: &str, host: &str) -> bool {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
        return false;
    }
    let mut fields = line.split_whitespace();
    let (Some(names), Some(_key_type), Some(_key)) = (fields.next(), fields.next(), fields.next())
    else {
        // No key on the line: ssh ignores it, and so does the doctor.
        return false;
    };
    if names.starts_with("|1|") {
        return hashed_matches(names, host);
    }
    let mut matched = false;
    for pattern in names.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let Some(pattern) = port_22(pattern) else {
            continue;
        };
        if glob(&pattern.to_ascii_lowercase(), host) {
            if negated {
                // ssh: a matching negation rejects the line whatever else matches.
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `host` for `host` and `[host]:22`; `None` for another port, which ssh
/// to port 22 never consults.
fn port_22(pattern: &str) -> Option<&str> {
    match pattern.strip_prefix('[') {
        None => Some(pattern),
        Some(rest) => {
            let (name, port) = rest.split_once("]:")?;
            (port == "22").then_some(name)
        }
    }
}

/// ssh's `*` and `?` wildcards (ASCII, case already folded).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// `|1|base64(salt)|base64(HMAC-SHA1(salt, host))`, as `HashKnownHosts`
/// writes it.
fn hashed_matches(names: &str, host: &str) -> bool {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut parts = names.trim_start_matches("|1|").split('|');
    let (Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (b64.decode(salt), b64.decode(hash)) else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &salt);
    ring::hmac::verify(&key, host.as_bytes(), &hash).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Verdict;
    use base64::Engine as _;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEWw+n9jcglF76DbWVn9qrvaWLKuSZpOTH1xSTbLqq5L";

    /// A hashed name as ssh writes it, computed here with a fixed salt so
    /// the test does not trust the code under test to hash.
    fn hashed(host: &str, salt: &[u8]) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, salt);
        let tag = ring::hmac::sign(&key, host.as_bytes());
        format!("|1|{}|{}", b64.encode(salt), b64.encode(tag.as_ref()))
    }

    #[test]
    fn plain_lists_ports_and_comments() {
        let text = format!(
            "# comment 203.0.113.5 {KEY}\n\
             github.com,140.82.121.4 {KEY}\n\
             \n\
             203.0.113.50 {KEY}\n\
             other,203.0.113.5 {KEY}\n\
             [203.0.113.5]:22 {KEY}\n\
             [203.0.113.5]:2222 {KEY}\n\
             203.0.113.5\n\
             @cert-authority 203.0.113.5 {KEY}\n\
             @revoked 203.0.113.5 {KEY}\n\
             203.0.113.5 {KEY} comment\n"
        );
        assert_eq!(entries_for(&text, "203.0.113.5"), vec![5, 6, 11]);
        assert_eq!(entries_for(&text, "140.82.121.4"), vec![2]);
        assert_eq!(entries_for(&text, "GitHub.com"), vec![2]);
        assert_eq!(entries_for(&text, "203.0.113"), Vec::<usize>::new());
        assert_eq!(entries_for(&text, ""), Vec::<usize>::new());
    }

    #[test]
    fn wildcards_and_negation() {
        let text = format!("203.0.113.* {KEY}\n*.example.org,!bad.example.org {KEY}\n");
        assert_eq!(entries_for(&text, "203.0.113.77"), vec![1]);
        assert_eq!(entries_for(&text, "203.0.114.77"), Vec::<usize>::new());
        assert_eq!(entries_for(&text, "vm.example.org"), vec![2]);
        assert_eq!(entries_for(&text, "bad.example.org"), Vec::<usize>::new());
        assert!(glob("a?c*", "abcdef"));
        assert!(!glob("a?c", "abcd"));
        assert!(glob("*", ""));
    }

    #[test]
    fn a_line_hashed_by_ssh_keygen_matches() {
        // `ssh-keygen -H` of "198.51.100.7 <KEY>", so the hashing is checked
        // against OpenSSH itself rather than against ring alone.
        let text = format!("|1|4CVH29g0ZjlpCmleDoYHTC40ZHw=|LgmD/OlqKPkG/XIZmMA8T2iiZTo= {KEY}\n");
        assert_eq!(entries_for(&text, "198.51.100.7"), vec![1]);
        assert_eq!(entries_for(&text, "198.51.100.70"), Vec::<usize>::new());
    }

    #[test]
    fn hashed_entries_match_only_their_host() {
        let text = format!(
            "{} {KEY}\n{} {KEY}\n|1|not base64|x {KEY}\n",
            hashed("198.51.100.7", b"0123456789abcdefghij"),
            hashed("i-0abc123", b"salt-of-twenty-bytes")
        );
        assert_eq!(entries_for(&text, "198.51.100.7"), vec![1]);
        assert_eq!(entries_for(&text, "198.51.100.8"), Vec::<usize>::new());
        assert_eq!(entries_for(&text, "i-0abc123"), vec![2]);
    }

    #[test]
    fn an_old_key_for_the_address_is_a_question() {
        let mut text = String::new();
        for i in 0..11 {
            text.push_str(&format!("10.0.0.{i} {KEY}\n"));
        }
        text.push_str(&format!("203.0.113.5 {KEY}\n"));
        let f = judge(&text, "203.0.113.5", "i-0abc");
        assert_eq!(f.verdict, Verdict::Unknown);
        assert!(f.reason.contains("(line 12)"), "{}", f.reason);
        assert!(
            f.reason.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
            "{}",
            f.reason
        );
        let fix = f.fix.expect("a fix");
        assert!(fix.contains("HostKeyAlias=i-0abc"), "{fix}");
        assert!(fix.contains("ssh-keygen -R 203.0.113.5"), "{fix}");
    }

    #[test]
    fn a_key_under_the_alias_passes() {
        let text = format!(
            "203.0.113.5 {KEY}\n{} {KEY}\n",
            hashed("i-0abc", b"another-salt-20bytes")
        );
        let f = judge(&text, "203.0.113.5", "i-0abc");
        assert_eq!(f.verdict, Verdict::Pass);
        assert!(
            f.reason.contains("known as i-0abc (line 2)"),
            "{}",
            f.reason
        );
        assert_eq!(f.lines.len(), 1, "the address's old line is still named");
        assert!(f.lines[0].contains("line 1"), "{:?}", f.lines);
    }

    #[test]
    fn nothing_known_passes() {
        let text = format!("198.51.100.1 {KEY}\n");
        let f = judge(&text, "203.0.113.5", "i-0abc");
        assert_eq!(f.verdict, Verdict::Pass);
        assert!(f.reason.contains("no old host key for 203.0.113.5"));
        assert!(f.lines.is_empty());
        assert_eq!(judge("", "203.0.113.5", "i-0abc").verdict, Verdict::Pass);
    }

    fn ctx(home: Option<&Path>, public_ip: Option<&str>) -> DoctorContext {
        let mut instance = crate::testutil::instance("i-0abc", "web");
        instance.public_ip = public_ip.map(str::to_string);
        instance.private_ip = Some("172.31.4.10".into());
        DoctorContext {
            instance,
            cloud_label: "default/eu-west-1".into(),
            login_user: None,
            identity_file: None,
            default_user: "ec2-user".into(),
            service_ports: Vec::new(),
            health_url: None,
            home: home.map(Path::to_path_buf),
            console_lines: 500,
            probe_timeout: std::time::Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn check_reads_the_users_known_hosts() {
        let home = tempfile::tempdir().expect("tempdir");
        let missing = check(&ctx(Some(home.path()), Some("203.0.113.5"))).await;
        assert_eq!(missing.verdict, Verdict::Pass, "{}", missing.reason);
        assert!(missing.reason.contains("no known_hosts yet"));

        std::fs::create_dir(home.path().join(".ssh")).expect("mkdir");
        std::fs::write(
            home.path().join(".ssh/known_hosts"),
            format!("172.31.4.10 {KEY}\n203.0.113.5 {KEY}\n"),
        )
        .expect("write");
        let public = check(&ctx(Some(home.path()), Some("203.0.113.5"))).await;
        assert_eq!(public.verdict, Verdict::Unknown);
        assert!(public.reason.contains("(line 2)"), "{}", public.reason);
        let private = check(&ctx(Some(home.path()), None)).await;
        assert!(
            private.reason.starts_with("172.31.4.10"),
            "{}",
            private.reason
        );
        assert!(private.reason.contains("(line 1)"), "{}", private.reason);

        let homeless = check(&ctx(None, Some("203.0.113.5"))).await;
        assert_eq!(homeless.verdict, Verdict::Unknown);
        let mut no_address = ctx(Some(home.path()), None);
        no_address.instance.private_ip = None;
        assert_eq!(check(&no_address).await.verdict, Verdict::Unknown);
    }
}
