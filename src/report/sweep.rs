//! The sweep behind `--all-regions` and the dashboard's `:sweep`: every
//! region each configured account or cloud offers, asked with a bound on
//! how many at once, so nothing forgotten hides in a region nobody looks at.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::cloud::endpoints::{self, Built};
use crate::config::{CloudConfig, Config, ProviderKind};
use crate::domain::cost::CostConfig;
use crate::domain::model::CloudKind;
use crate::report::ask::{Answer, Ask, ask_bounded};

/// Regions asked at once: enough to sweep AWS's ~17 default regions in a
/// few round trips, few enough not to trip an account's request limits.
pub const SWEEP_CONCURRENCY: usize = 8;

/// What a sweep asked and found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sweep {
    /// The shown endpoints first (asked as `ask` says), then every other
    /// region (asked as [`Ask::Sweep`], marked unwatched), then an answer
    /// per account whose regions could not be listed.
    pub answers: Vec<Answer>,
    /// Per account (`[[cloud]]`), the regions asked.
    pub swept: Vec<(String, Vec<String>)>,
    pub took: Duration,
}

impl Sweep {
    /// `swept 19 regions in 2.3 s: aws: eu-west-1, us-east-1; lab: RegionOne`
    pub fn summary(&self) -> String {
        let count: usize = self.swept.iter().map(|(_, r)| r.len()).sum();
        let clouds: Vec<String> = self
            .swept
            .iter()
            .map(|(cloud, regions)| format!("{cloud}: {}", regions.join(", ")))
            .collect();
        format!(
            "swept {count} region{} in {:.1} s: {}",
            if count == 1 { "" } else { "s" },
            self.took.as_secs_f64(),
            clouds.join("; ")
        )
    }

    /// The answers of regions hytop does not show.
    pub fn unwatched(&self) -> impl Iterator<Item = &Answer> {
        self.answers.iter().filter(|a| a.unwatched)
    }
}

/// One account: the configured clouds that share it (same provider and
/// profile, or the same clouds.yaml entry) are swept once.
struct Account<'a> {
    cloud: &'a CloudConfig,
    shown: Vec<String>,
    /// A shown endpoint to ask for the account's regions.
    asker: Option<Built>,
}

fn account_key(cloud: &CloudConfig) -> (ProviderKind, CloudKind, String) {
    let who = match cloud.provider.get_ref() {
        // No profile is the default profile: one account.
        ProviderKind::Aws => cloud.profile.as_deref().unwrap_or("default").to_string(),
        ProviderKind::OpenStack => cloud
            .os_cloud
            .clone()
            .unwrap_or_else(|| cloud.name.get_ref().clone()),
        ProviderKind::Simulator => cloud.name.get_ref().clone(),
    };
    (*cloud.provider.get_ref(), cloud.kind(), who)
}

fn accounts<'a>(config: &'a Config, shown: &[Built]) -> Vec<Account<'a>> {
    let mut keys = Vec::new();
    let mut out: Vec<Account<'a>> = Vec::new();
    for cloud in &config.clouds {
        let mine: Vec<&Built> = shown
            .iter()
            .filter(|b| &b.endpoint.cloud == cloud.name.get_ref())
            .collect();
        let regions = mine.iter().map(|b| b.endpoint.region.clone());
        let key = account_key(cloud);
        if let Some(i) = keys.iter().position(|k| *k == key) {
            let account: &mut Account<'a> = &mut out[i];
            account.shown.extend(regions);
            if account.asker.is_none() {
                account.asker = mine.first().map(|b| (*b).clone());
            }
            continue;
        }
        keys.push(key);
        out.push(Account {
            cloud,
            shown: regions.collect(),
            asker: mine.first().map(|b| (*b).clone()),
        });
    }
    out
}

/// How far a sweep has come: of the `total` endpoints to ask once every
/// account's regions are listed, `answered` have answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub answered: usize,
    pub total: usize,
}

/// Lists every account's regions, then asks the `shown` endpoints as `ask`
/// says (not at all without one: the dashboard has them) and every other
/// region for what lives there, at most [`SWEEP_CONCURRENCY`] at a time,
/// each bounded by `timeout`. `progress` hears once the regions are listed
/// and again as each endpoint answers.
pub async fn sweep(
    config: &Config,
    shown: Vec<Built>,
    ask: Option<Ask>,
    timeout: Duration,
    rules: &CostConfig,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Sweep {
    let started = Instant::now();
    let accounts = accounts(config, &shown);
    let listings = futures::future::join_all(accounts.iter().map(|a| async move {
        let asker = a.asker.as_ref()?;
        let listed = tokio::time::timeout(timeout, asker.provider.regions()).await;
        Some((asker.endpoint.clone(), listed))
    }))
    .await;

    let mut asks: Vec<(Built, Ask)> = match ask {
        Some(ask) => shown.into_iter().map(|b| (b, ask)).collect(),
        None => Vec::new(),
    };
    let mut swept = Vec::new();
    let mut failed = Vec::new();
    for (account, listing) in accounts.iter().zip(listings) {
        let Some((endpoint, listed)) = listing else {
            continue;
        };
        let regions = match listed {
            Ok(Ok(regions)) => regions,
            Ok(Err(e)) => {
                failed.push(failure(endpoint, e.to_string()));
                continue;
            }
            Err(_) => {
                let secs = timeout.as_secs();
                failed.push(failure(endpoint, format!("timed out after {secs} s")));
                continue;
            }
        };
        let shown_here = |r: &String| {
            account.shown.contains(r)
                // An OpenStack cloud configured without a region shows the
                // one its catalog lookups land in.
                || (regions.this.as_ref() == Some(r)
                    && account.shown.iter().any(|s| !regions.all.contains(s)))
        };
        let mut names: Vec<String> = account
            .shown
            .iter()
            .map(|s| match &regions.this {
                Some(this) if !regions.all.contains(s) => this.clone(),
                _ => s.clone(),
            })
            .collect();
        for region in &regions.all {
            if shown_here(region) {
                continue;
            }
            asks.push((endpoints::for_region(account.cloud, region), Ask::Sweep));
            names.push(region.clone());
        }
        names.sort();
        names.dedup();
        swept.push((account.cloud.name.get_ref().clone(), names));
    }
    let total = asks.len();
    progress(Progress { answered: 0, total });
    let answered = AtomicUsize::new(0);
    let on_answer = || {
        let answered = answered.fetch_add(1, Ordering::Relaxed) + 1;
        progress(Progress { answered, total });
    };
    let mut answers = ask_bounded(asks, SWEEP_CONCURRENCY, timeout, rules, &on_answer).await;
    answers.extend(failed);
    Sweep {
        answers,
        swept,
        took: started.elapsed(),
    }
}

fn failure(endpoint: crate::cloud::endpoints::Endpoint, error: String) -> Answer {
    Answer {
        endpoint: Some(endpoint),
        errors: vec![format!("regions not swept: {error}")],
        ..Answer::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cost::Prices;
    use crate::report::outcome::{EXIT_FLAGGED, EXIT_TROUBLE, check_outcome};

    fn config(text: &str) -> Config {
        Config::parse(text, "sweep.toml").expect("config parses")
    }

    /// Sweeps every endpoint of `config`, asking the shown ones as `ask` says.
    async fn sweep_all(config: &Config, ask: Ask) -> Sweep {
        let shown = endpoints::build(config).await.expect("endpoints");
        sweep(
            config,
            shown,
            Some(ask),
            Duration::from_secs(5),
            &config.cost,
            &|_| {},
        )
        .await
    }

    fn unwatched(swept: &Sweep) -> Vec<&str> {
        swept
            .unwatched()
            .filter_map(|a| a.endpoint.as_ref())
            .map(|e| e.label.as_str())
            .collect()
    }

    const SIM: &str = "[[cloud]]\nname = \"sim\"\nprovider = \"simulator\"\nsimulate = \"aws\"\nregions = [\"eu-west-1\"]\n[cloud.sim]\nlatency_ms = 0\ninstances = 2\nunshown_regions = [\"ap-south-1\", \"us-west-2\"]\n";

    #[tokio::test]
    async fn the_unshown_regions_of_a_simulated_account_are_swept() {
        let config = config(SIM);
        let swept = sweep_all(&config, Ask::Check).await;
        assert_eq!(
            swept.swept,
            [(
                "sim".to_string(),
                vec!["ap-south-1".into(), "eu-west-1".into(), "us-west-2".into()]
            )]
        );
        assert_eq!(unwatched(&swept), ["sim/ap-south-1", "sim/us-west-2"]);
        for answer in swept.unwatched() {
            assert_eq!(answer.instances.len(), 1, "one stray each: {answer:?}");
            assert!(answer.errors.is_empty(), "{:?}", answer.errors);
            assert!(answer.metrics.is_empty(), "a sweep asks no metrics");
        }
        assert!(swept.summary().starts_with("swept 3 regions in "));
        assert!(
            swept
                .summary()
                .ends_with(" s: sim: ap-south-1, eu-west-1, us-west-2"),
            "{}",
            swept.summary()
        );
        let outcome = check_outcome(
            &swept.answers,
            chrono::Utc::now(),
            Prices::embedded(),
            &config.cost,
        );
        assert_eq!(outcome.code, EXIT_FLAGGED);
        let strays: Vec<&str> = outcome
            .stdout
            .lines()
            .filter(|l| l.contains(", which hytop does not show"))
            .collect();
        assert_eq!(strays.len(), 2, "{}", outcome.stdout);
        assert!(strays[0].starts_with("sim/ap-south-1 "), "{strays:?}");
    }

    #[tokio::test]
    async fn progress_is_heard_once_listed_and_as_each_region_answers() {
        let config = config(SIM);
        let heard = std::sync::Mutex::new(Vec::new());
        let record = |p: Progress| heard.lock().expect("not poisoned").push(p);
        // The dashboard's sweep: the shown endpoint is not asked again.
        let shown = endpoints::build(&config).await.expect("endpoints");
        let swept = sweep(
            &config,
            shown,
            None,
            Duration::from_secs(5),
            &config.cost,
            &record,
        )
        .await;
        assert_eq!(unwatched(&swept), ["sim/ap-south-1", "sim/us-west-2"]);
        let heard = heard.into_inner().expect("not poisoned");
        let heard: Vec<(usize, usize)> = heard.iter().map(|p| (p.answered, p.total)).collect();
        assert_eq!(heard, [(0, 2), (1, 2), (2, 2)]);
    }

    #[tokio::test]
    async fn clouds_of_one_account_are_swept_once() {
        let two = format!(
            "{SIM}[[cloud]]\nname = \"sim-again\"\nprovider = \"simulator\"\nsimulate = \"aws\"\nregions = [\"ap-south-1\"]\n[cloud.sim]\nlatency_ms = 0\n"
        );
        let config = config(&two);
        let swept = sweep_all(&config, Ask::List).await;
        // Different names are different simulated accounts: each swept on
        // its own, and a region shown by one is not unwatched for it.
        assert_eq!(unwatched(&swept), ["sim/ap-south-1", "sim/us-west-2"]);
        assert_eq!(swept.swept.len(), 2);
        assert_eq!(
            swept.swept[1],
            ("sim-again".into(), vec!["ap-south-1".into()])
        );
    }

    #[tokio::test]
    async fn an_account_whose_regions_cannot_be_listed_is_trouble() {
        let config = config(
            "[[cloud]]\nname = \"broken\"\nprovider = \"openstack\"\nos_cloud = \"no-such-cloud\"\n",
        );
        let swept = sweep_all(&config, Ask::Check).await;
        assert!(swept.swept.is_empty());
        let errors: Vec<&String> = swept.answers.iter().flat_map(|a| &a.errors).collect();
        assert!(
            errors.iter().any(|e| e.starts_with("regions not swept: ")),
            "{errors:?}"
        );
        let outcome = check_outcome(
            &swept.answers,
            chrono::Utc::now(),
            Prices::embedded(),
            &config.cost,
        );
        assert_eq!(outcome.code, EXIT_TROUBLE);
    }
}
