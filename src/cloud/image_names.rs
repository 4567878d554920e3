//! Image names by image id, remembered per provider. A fleet boots from a
//! handful of images and an image's name does not change, so each id is
//! asked of the cloud once, and never again once it said it has no such
//! image (deregistered, deleted, or not visible to this account).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::CloudResult;
use crate::domain::model::Instance;
use crate::domain::text::Text;

/// How long a failed lookup keeps the cache from asking again: an account
/// whose policy refuses DescribeImages (or a Glance that is down) would
/// refuse it on every refresh, and the listing must not pay for it each time.
const RETRY_AFTER: Duration = Duration::from_secs(300);

/// Most ids asked in one listing; the rest wait for the next one, so a
/// first listing of a huge fleet does not wait on a huge lookup.
pub const MAX_ASKED: usize = 200;

#[derive(Debug, Default)]
pub struct ImageNames(Mutex<Cache>);

#[derive(Debug, Default)]
struct Cache {
    /// `None`: the cloud was asked and had no name for it.
    known: HashMap<String, Option<Text>>,
    retry_at: Option<Instant>,
}

impl ImageNames {
    /// Sets `image_name` of every instance whose image is known, asking
    /// `lookup` first for the ids (those `askable` accepts) not asked yet.
    /// `lookup` answers with the names it found; an id it leaves out has
    /// no name to show. A failed lookup fails nothing (names are a
    /// nicety next to the listing): the names stay absent, the error goes
    /// to the log, and the ids are asked again after [`RETRY_AFTER`].
    pub async fn fill<F, Fut>(
        &self,
        instances: &mut [Instance],
        askable: impl Fn(&str) -> bool,
        lookup: F,
    ) where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: std::future::Future<Output = CloudResult<HashMap<String, String>>>,
    {
        if let Err(e) = self
            .fill_at(Instant::now(), instances, askable, lookup)
            .await
        {
            tracing::warn!(error = %e, "image names not available");
        }
    }

    async fn fill_at<F, Fut>(
        &self,
        now: Instant,
        instances: &mut [Instance],
        askable: impl Fn(&str) -> bool,
        lookup: F,
    ) -> CloudResult<()>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: std::future::Future<Output = CloudResult<HashMap<String, String>>>,
    {
        let wanted = self.unasked(now, instances, askable);
        let mut result = Ok(());
        if !wanted.is_empty() {
            // Not under the lock: the lookup is a network call.
            let answer = lookup(wanted.clone()).await;
            let mut cache = self.lock();
            match answer {
                Ok(mut names) => {
                    for id in wanted {
                        let name = names.remove(&id).map(Text::from);
                        cache.known.insert(id, name);
                    }
                }
                Err(e) => {
                    cache.retry_at = Some(now + RETRY_AFTER);
                    result = Err(e);
                }
            }
        }
        let cache = self.lock();
        for i in instances.iter_mut() {
            i.image_name = cache.known.get(i.image.as_str()).cloned().flatten();
        }
        result
    }

    /// The distinct image ids of `instances` not asked yet (none while a
    /// failed lookup waits), at most [`MAX_ASKED`].
    fn unasked(
        &self,
        now: Instant,
        instances: &[Instance],
        askable: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut cache = self.lock();
        match cache.retry_at {
            Some(at) if now < at => return Vec::new(),
            Some(_) => cache.retry_at = None,
            None => {}
        }
        let ids: BTreeSet<&str> = instances
            .iter()
            .map(|i| i.image.as_str())
            .filter(|id| !id.is_empty() && askable(id) && !cache.known.contains_key(*id))
            .collect();
        ids.into_iter()
            .take(MAX_ASKED)
            .map(str::to_string)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::cloud::CloudError;
    use crate::testutil::instance;

    fn fleet() -> Vec<Instance> {
        let mut fleet: Vec<Instance> = (0..5)
            .map(|n| instance(&format!("i-{n}"), &format!("web-{n}")))
            .collect();
        for (n, i) in fleet.iter_mut().enumerate() {
            i.image = ["ami-1", "ami-2", "ami-gone"][n % 3].into();
        }
        fleet
    }

    fn names() -> HashMap<String, String> {
        HashMap::from([
            ("ami-1".to_string(), "al2023-ami-2023.6".to_string()),
            ("ami-2".to_string(), "ubuntu-22.04-lab".to_string()),
        ])
    }

    fn shown(fleet: &[Instance]) -> Vec<Option<&str>> {
        fleet.iter().map(|i| i.image_name.as_deref()).collect()
    }

    #[tokio::test]
    async fn each_image_is_asked_once_in_one_batch_and_gone_ones_are_remembered() {
        let cache = ImageNames::default();
        let asked = Mutex::new(Vec::new());
        let lookup = |ids: Vec<String>| {
            asked.lock().unwrap().push(ids);
            async { Ok(names()) }
        };
        let mut first = fleet();
        cache
            .fill_at(Instant::now(), &mut first, |_| true, lookup)
            .await
            .unwrap();
        assert_eq!(
            *asked.lock().unwrap(),
            [vec!["ami-1".to_string(), "ami-2".into(), "ami-gone".into()]]
        );
        let expected = [
            Some("al2023-ami-2023.6"),
            Some("ubuntu-22.04-lab"),
            None,
            Some("al2023-ami-2023.6"),
            Some("ubuntu-22.04-lab"),
        ];
        assert_eq!(shown(&first), expected);

        // The next listing: the same images, the gone one included, are not asked again.
        let mut second = fleet();
        let calls = AtomicUsize::new(0);
        let lookup = |_: Vec<String>| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(HashMap::new()) }
        };
        cache
            .fill_at(Instant::now(), &mut second, |_| true, lookup)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(shown(&second), expected);
    }

    #[tokio::test]
    async fn only_new_askable_ids_are_asked() {
        let cache = ImageNames::default();
        let mut fleet = fleet();
        cache
            .fill_at(
                Instant::now(),
                &mut fleet,
                |_| true,
                |_| async { Ok(names()) },
            )
            .await
            .unwrap();
        fleet[0].image = "ami-3".into();
        fleet[1].image = "(volume)".into();
        fleet[2].image = "".into();
        let asked = Mutex::new(Vec::new());
        let lookup = |ids: Vec<String>| {
            asked.lock().unwrap().push(ids);
            async { Ok(HashMap::from([("ami-3".into(), "debian-12".into())])) }
        };
        cache
            .fill_at(
                Instant::now(),
                &mut fleet,
                |id| !id.starts_with('('),
                lookup,
            )
            .await
            .unwrap();
        assert_eq!(*asked.lock().unwrap(), [vec!["ami-3".to_string()]]);
        assert_eq!(fleet[0].image_name.as_deref(), Some("debian-12"));
        assert_eq!(fleet[1].image_name, None);
        assert_eq!(fleet[2].image_name, None);
    }

    #[tokio::test]
    async fn a_failed_lookup_leaves_names_absent_and_waits_before_asking_again() {
        let cache = ImageNames::default();
        let start = Instant::now();
        let calls = AtomicUsize::new(0);
        let failing = || {
            |_: Vec<String>| {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(CloudError::new(
                        "UnauthorizedOperation",
                        "no DescribeImages",
                    ))
                }
            }
        };
        let mut fleet = fleet();
        let err = cache.fill_at(start, &mut fleet, |_| true, failing()).await;
        assert!(err.is_err());
        assert!(fleet.iter().all(|i| i.image_name.is_none()));
        let soon = start + Duration::from_secs(60);
        assert!(
            cache
                .fill_at(soon, &mut fleet, |_| true, failing())
                .await
                .is_ok()
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Later the cloud answers, and the failure is forgotten.
        let later = start + RETRY_AFTER + Duration::from_secs(1);
        cache
            .fill_at(later, &mut fleet, |_| true, |_| async { Ok(names()) })
            .await
            .unwrap();
        assert_eq!(fleet[0].image_name.as_deref(), Some("al2023-ami-2023.6"));
    }

    #[tokio::test]
    async fn a_huge_fleet_asks_at_most_max_asked_ids_a_listing() {
        let cache = ImageNames::default();
        let mut fleet: Vec<Instance> = (0..MAX_ASKED + 10)
            .map(|n| {
                let mut i = instance(&format!("i-{n}"), "x");
                i.image = format!("ami-{n:05}").into();
                i
            })
            .collect();
        let sizes = Mutex::new(Vec::new());
        for _ in 0..3 {
            let lookup = |ids: Vec<String>| {
                sizes.lock().unwrap().push(ids.len());
                async { Ok(HashMap::new()) }
            };
            cache
                .fill_at(Instant::now(), &mut fleet, |_| true, lookup)
                .await
                .unwrap();
        }
        assert_eq!(*sizes.lock().unwrap(), [MAX_ASKED, 10]);
    }
}
