//! `--cloud NAME`: which `[[cloud]]`s a command asks.

use crate::config::Config;

/// Keeps the `[[cloud]]`s named in `names` (all when empty); an unknown
/// name is an error listing the known ones.
pub fn select_clouds(config: &mut Config, names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Ok(());
    }
    let known: Vec<&str> = config
        .clouds
        .iter()
        .map(|c| c.name.get_ref().as_str())
        .collect();
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(format!(
            "no cloud named \"{unknown}\" in the config; known clouds: {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ));
    }
    config.clouds.retain(|c| names.contains(c.name.get_ref()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_clouds_keeps_named_and_refuses_unknown() {
        let mut config = Config::demo().expect("demo");
        select_clouds(&mut config, &[]).expect("all");
        assert_eq!(config.clouds.len(), 2);
        let err = select_clouds(&mut config, &["nope".into()]).expect_err("unknown");
        assert_eq!(
            err,
            "no cloud named \"nope\" in the config; known clouds: demo-aws, lab"
        );
        select_clouds(&mut config, &["lab".into()]).expect("lab");
        let names: Vec<&str> = config
            .clouds
            .iter()
            .map(|c| c.name.get_ref().as_str())
            .collect();
        assert_eq!(names, ["lab"]);
    }
}
