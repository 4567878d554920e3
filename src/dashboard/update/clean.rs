//! Text a cloud sent, made fit for the screen before it reaches the model:
//! error lines and messages, names, states, tags, a server's fault and the
//! other describe fields, address and launch-form labels all go through
//! [`sanitize`], so a hostile or broken cloud can neither drive the terminal
//! nor leave the remains of a sequence (`[2J`) on screen.
//!
//! Ids stay exactly as the cloud wrote them: requests send them back
//! (terminate, attach, release), and two ids made equal by cleaning would
//! make hytop act on the wrong instance. Real clouds' ids are plain ASCII.
//! The console's text is cleaned line by line where it is split
//! ([`crate::dashboard::model::ConsoleView::set_text`]).

use crate::cloud::CloudError;
use crate::dashboard::action::Response;
use crate::domain::format::sanitize;
use crate::domain::model::{Choice, Instance, LaunchOptions, PublicAddress, Text, Volume};

pub(super) fn response(response: Response) -> Response {
    match response {
        Response::Instances(r) => Response::Instances(
            r.map(|list| list.into_iter().map(instance).collect())
                .map_err(error),
        ),
        Response::Addresses(r) => Response::Addresses(
            r.map(|list| list.into_iter().map(address).collect())
                .map_err(error),
        ),
        Response::Metrics {
            resolution,
            asked,
            result,
            interval,
        } => Response::Metrics {
            resolution,
            asked,
            result: result.map_err(error),
            interval,
        },
        Response::Regions(r) => Response::Regions(
            r.map(|regions| crate::cloud::Regions {
                all: regions.all.iter().map(|r| sanitize(r)).collect(),
                this: regions.this.as_deref().map(sanitize),
            })
            .map_err(error),
        ),
        Response::RefreshDone => Response::RefreshDone,
        Response::RefreshSkipped => Response::RefreshSkipped,
        Response::Launched(r) => Response::Launched(r.map_err(error)),
        Response::LaunchRefused(msg) => Response::LaunchRefused(sanitize(&msg)),
        Response::Terminated { ids, result } => Response::Terminated {
            ids,
            result: result.map_err(error),
        },
        Response::Powered { action, outcomes } => Response::Powered {
            action,
            outcomes: outcomes
                .into_iter()
                .map(|o| crate::cloud::PowerOutcome {
                    result: o.result.map_err(error),
                    ..o
                })
                .collect(),
        },
        Response::IpAttached {
            instance_id,
            result,
        } => Response::IpAttached {
            instance_id,
            result: result
                .map(|mut a| {
                    a.ip = sanitize(&a.ip);
                    a
                })
                .map_err(error),
        },
        Response::IpDetached {
            instance_id,
            result,
        } => Response::IpDetached {
            instance_id,
            result: result.map(|ip| sanitize(&ip)).map_err(error),
        },
        Response::AddressReleased { address_id, result } => Response::AddressReleased {
            address_id,
            result: result.map_err(error),
        },
        Response::Volumes(r) => Response::Volumes(
            r.map(|list| list.into_iter().map(volume).collect())
                .map_err(error),
        ),
        Response::VolumeDeleted { volume_id, result } => Response::VolumeDeleted {
            volume_id,
            result: result.map_err(error),
        },
        Response::Console(r) => Response::Console(r.map_err(error)),
        Response::LaunchOptions(r) => Response::LaunchOptions(r.map(options).map_err(error)),
        Response::TagsSet {
            instance_id,
            tags,
            result,
        } => Response::TagsSet {
            instance_id,
            tags,
            result: result.map_err(error),
        },
        Response::Doctor {
            instance_id,
            finding,
        } => Response::Doctor {
            instance_id,
            finding: crate::doctor::Finding {
                reason: sanitize(&finding.reason),
                fix: finding.fix.map(|f| sanitize(&f)),
                lines: finding.lines.iter().map(|l| sanitize(l)).collect(),
                ..finding
            },
        },
    }
}

fn error(e: CloudError) -> CloudError {
    CloudError {
        code: e.code.map(|c| sanitize(&c)),
        message: sanitize(&e.message),
    }
}

/// A shared field cleaned; the same shared copy when nothing changed (the
/// usual case), so a fleet's repeated words stay one copy.
fn shared(text: Text) -> Text {
    let clean = sanitize(&text);
    if clean == *text { text } else { clean.into() }
}

fn opt(text: Option<String>) -> Option<String> {
    text.map(|t| sanitize(&t))
}

fn instance(i: Instance) -> Instance {
    Instance {
        account: shared(i.account),
        region: shared(i.region),
        name: sanitize(&i.name),
        raw_state: shared(i.raw_state),
        size: shared(i.size),
        image: shared(i.image),
        image_name: i.image_name.map(shared),
        key_name: opt(i.key_name),
        public_ip: opt(i.public_ip),
        private_ip: opt(i.private_ip),
        tags: i
            .tags
            .into_iter()
            .map(|(k, v)| (sanitize(&k), sanitize(&v)))
            .collect(),
        // The labels are hytop's own.
        extra: i.extra.into_iter().map(|(k, v)| (k, shared(v))).collect(),
        volumes: i.volumes.into_iter().map(volume).collect(),
        ..i
    }
}

fn volume(v: Volume) -> Volume {
    Volume {
        name: opt(v.name),
        volume_type: v.volume_type.map(shared),
        state: shared(v.state),
        device: opt(v.device),
        ..v
    }
}

fn address(a: PublicAddress) -> PublicAddress {
    PublicAddress {
        ip: sanitize(&a.ip),
        pool: opt(a.pool),
        ..a
    }
}

fn options(o: LaunchOptions) -> LaunchOptions {
    let labels = |choices: Vec<Choice>| {
        choices
            .into_iter()
            .map(|c| Choice {
                label: sanitize(&c.label),
                ..c
            })
            .collect()
    };
    LaunchOptions {
        images: labels(o.images),
        sizes: labels(o.sizes),
        networks: labels(o.networks),
        key_names: labels(o.key_names),
        security_groups: labels(o.security_groups),
    }
}
