//! Check 7: the boot log. What the course does by hand with
//! `aws ec2 get-console-output ... nach Fehlern durchsuchen`: read the
//! console and pick out what went wrong — cloud-init warnings and errors,
//! units systemd failed to start, a kernel panic, the user-data script's own
//! errors — and whether the boot got as far as a login prompt.

use crate::cloud::Provider;
use crate::doctor::{Check, DoctorContext, Finding};
use crate::domain::format::sanitize;

/// At most this many problem lines under the finding; `l` shows the rest.
const MAX_LINES: usize = 8;
/// A console line is cut here in the finding (the console view has it all).
const MAX_LINE_CHARS: usize = 160;

pub async fn check(provider: &dyn Provider, ctx: &DoctorContext) -> Finding {
    match provider
        .console_output(&ctx.instance.id, ctx.console_lines)
        .await
    {
        Ok(out) => judge(&scan(&out.text), ctx.console_lines),
        // Nova's 409: a server that never booted (or is between states)
        // has no console. An answer, not an outage.
        Err(e) if e.code.as_deref() == Some("409") => Finding::unknown(
            Check::BootLog,
            format!("the cloud has no console for it: {e}"),
        ),
        Err(e) => Finding::unasked(Check::BootLog, &e),
    }
}

/// What kind of trouble a console line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// A cloud-init module's `[WARNING]`/`[ERROR]`, or a module that failed.
    CloudInit,
    /// The user-data script's own error output.
    UserData,
    /// systemd: `Failed to start ...`, `[FAILED]`.
    Systemd,
    KernelPanic,
    /// The kernel killed a process for memory (a t2.nano runs out easily).
    OutOfMemory,
    /// systemd gave up and dropped to the emergency shell.
    EmergencyMode,
}

impl Trouble {
    fn words(self) -> &'static str {
        match self {
            Trouble::CloudInit => "cloud-init reported a problem",
            Trouble::UserData => "the user-data script failed",
            Trouble::Systemd => "a service failed to start",
            Trouble::KernelPanic => "the kernel panicked",
            Trouble::OutOfMemory => "the kernel ran out of memory",
            Trouble::EmergencyMode => "the boot fell into emergency mode",
        }
    }
}

/// One console line that shows trouble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Its index in the console text's lines (`text.lines()`, from 0), the
    /// same numbering the console view scrolls by.
    pub line: usize,
    /// The line, cleaned of terminal escapes and trimmed.
    pub text: String,
    pub trouble: Trouble,
}

/// What [`scan`] found in a console text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    pub problems: Vec<Problem>,
    /// A `login:` prompt, or cloud-init's `finished at`: the boot is done.
    pub login_prompt: bool,
    /// The text has the start of the boot (the kernel's first lines), so a
    /// missing prompt means "not yet" rather than "scrolled out of the tail".
    pub from_boot: bool,
    /// Nothing but whitespace.
    pub empty: bool,
}

/// Reads a console text for trouble and for the end of the boot.
pub fn scan(text: &str) -> Scan {
    let mut scan = Scan {
        empty: text.trim().is_empty(),
        ..Scan::default()
    };
    for (index, raw) in text.lines().enumerate() {
        let line = sanitize(raw);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if reaches_login(line) {
            scan.login_prompt = true;
        }
        if line.contains("Linux version ") || line.starts_with("[    0.000000]") {
            scan.from_boot = true;
        }
        if let Some(trouble) = trouble(line) {
            scan.problems.push(Problem {
                line: index,
                text: line.to_string(),
                trouble,
            });
        }
    }
    scan
}

/// `ip-172-31-4-10 login:` (getty's prompt, often with a trailing space),
/// or cloud-init's last word `Cloud-init v. 23.1 finished at ...`.
fn reaches_login(line: &str) -> bool {
    line == "login:"
        || line.ends_with(" login:")
        || (line.contains("Cloud-init v. ") && line.contains(" finished at "))
}

fn trouble(line: &str) -> Option<Trouble> {
    if line.contains("Kernel panic") {
        return Some(Trouble::KernelPanic);
    }
    if line.contains("Out of memory: Kill") || line.contains("invoked oom-killer") {
        return Some(Trouble::OutOfMemory);
    }
    if line.contains("You are in emergency mode") || line.contains("Entering emergency mode") {
        return Some(Trouble::EmergencyMode);
    }
    // bash and dash name the script first in their errors:
    // `/var/lib/cloud/instance/scripts/part-001: line 3: foo: command not found`.
    if let Some(at) = line.find("/var/lib/cloud/instance") {
        let rest = &line[at..];
        let script_error = rest.contains("/scripts/")
            && (rest.contains(": line ")
                || rest.contains("not found")
                || rest.contains("No such file")
                || rest.contains("Permission denied")
                || rest.contains("rror"));
        if script_error && !is_cloud_init_tagged(line) {
            return Some(Trouble::UserData);
        }
    }
    if is_cloud_init_tagged(line)
        || line.contains("Failed to run module")
        || (line.contains("Running module") && line.contains("failed"))
    {
        return Some(Trouble::CloudInit);
    }
    if line.contains("Failed to start ")
        || line.contains("Failed to mount ")
        || line.contains("[FAILED]")
    {
        return Some(Trouble::Systemd);
    }
    None
}

/// cloud-init's log format `file.py[LEVEL]: message`.
fn is_cloud_init_tagged(line: &str) -> bool {
    ["[WARNING]:", "[ERROR]:", "[CRITICAL]:"]
        .iter()
        .any(|tag| line.contains(tag))
}

/// ✗ for any problem; ✓ when the boot reached a login prompt; ? otherwise.
pub fn judge(scan: &Scan, asked_lines: u32) -> Finding {
    if scan.empty {
        return Finding::unknown(
            Check::BootLog,
            "the console is empty (AWS keeps only the last output after boot; try again in a minute)",
        );
    }
    if let Some(first) = scan.problems.first() {
        let n = scan.problems.len();
        let what = if n == 1 {
            "1 problem in the boot log".to_string()
        } else {
            format!("{n} problems in the boot log")
        };
        let mut finding = Finding::fail(
            Check::BootLog,
            format!(
                "{what}; the first: {} (console line {})",
                first.trouble.words(),
                first.line + 1
            ),
        )
        .with_fix("press l to read the console at the first of them");
        finding.lines = scan
            .problems
            .iter()
            .take(MAX_LINES)
            .map(|p| cut(&p.text))
            .collect();
        if n > MAX_LINES {
            finding.lines.push(format!("… and {} more", n - MAX_LINES));
        }
        finding.console_line = Some(first.line);
        return finding;
    }
    if scan.login_prompt {
        return Finding::pass(
            Check::BootLog,
            "booted to a login prompt; no errors in the console",
        );
    }
    if scan.from_boot {
        Finding::unknown(Check::BootLog, "no login prompt yet; no errors so far")
            .with_fix("wait a minute and look again (the boot may still run)")
    } else {
        Finding::unknown(
            Check::BootLog,
            format!(
                "no errors in the console's last {asked_lines} lines, but the boot and its login prompt are no longer among them"
            ),
        )
    }
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Verdict;

    const CLEAN_BOOT: &str = "\
[    0.000000] Linux version 6.1.112-124.190.amzn2023.x86_64 (mockbuild@ip-10-0-1-1)
[    1.234567] EXT4-fs (xvda1): mounted filesystem with ordered data mode.
[    3.100000] cloud-init[612]: Cloud-init v. 23.1 running 'init-local'.
[  OK  ] Started sshd.service - OpenSSH server daemon.
[    9.876543] cloud-init[842]: Cloud-init v. 23.1 finished at Sat, 21 Nov 2026 12:00:09 +0000. Datasource DataSourceEc2.  Up 9.88 seconds

Amazon Linux 2023.6.20241031
Kernel 6.1.112-124.190.amzn2023.x86_64 on an x86_64 (ttyS0)

ip-172-31-4-10 login: ";

    #[test]
    fn a_clean_boot_with_a_login_prompt_passes() {
        let s = scan(CLEAN_BOOT);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert!(s.login_prompt && s.from_boot && !s.empty);
        let f = judge(&s, 500);
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.reason);
        assert_eq!(f.console_line, None);
    }

    #[test]
    fn the_prompt_alone_or_cloud_init_finishing_is_enough() {
        assert!(scan("ip-172-31-4-10 login:").login_prompt);
        assert!(scan("ubuntu-vm login: \r\n").login_prompt);
        assert!(
            scan("cloud-init[842]: Cloud-init v. 23.1 finished at Sat, 21 Nov 2026").login_prompt
        );
        assert!(!scan("Last login: Sat Nov 21 on ttyS0 from somewhere").login_prompt);
        assert!(!scan("Cloud-init v. 23.1 running 'modules:final'").login_prompt);
    }

    #[test]
    fn a_cloud_init_failure_fails_at_its_line() {
        let text = "\
[    0.000000] Linux version 5.15.0-122-generic (buildd@lcy02)
[    5.000000] cloud-init[842]: Cloud-init v. 23.1 running 'modules:final'.
[    6.000000] cloud-init[842]: /var/lib/cloud/instance/scripts/part-001: line 3: foo: command not found
[    6.100000] cloud-init[842]: 2026-11-21 12:00:06,100 - cc_scripts_user.py[WARNING]: Failed to run module scripts_user (scripts in /var/lib/cloud/instance/scripts)
[    6.200000] cloud-init[842]: 2026-11-21 12:00:06,200 - util.py[WARNING]: Running module scripts-user (<module 'cloudinit.config.cc_scripts_user'>) failed
[    7.000000] cloud-init[842]: Cloud-init v. 23.1 finished at Sat, 21 Nov 2026 12:00:07 +0000.
ubuntu login: ";
        let s = scan(text);
        let kinds: Vec<(usize, Trouble)> = s.problems.iter().map(|p| (p.line, p.trouble)).collect();
        assert_eq!(
            kinds,
            vec![
                (2, Trouble::UserData),
                (3, Trouble::CloudInit),
                (4, Trouble::CloudInit)
            ]
        );
        let f = judge(&s, 500);
        assert_eq!(f.verdict, Verdict::Fail, "errors outweigh the prompt");
        assert_eq!(f.console_line, Some(2));
        assert_eq!(f.lines.len(), 3);
        assert!(
            f.lines[0].contains("foo: command not found"),
            "{:?}",
            f.lines
        );
        assert!(f.reason.contains("3 problems"), "{}", f.reason);
        assert!(f.reason.contains("user-data script"), "{}", f.reason);
        assert_eq!(
            f.fix.as_deref(),
            Some("press l to read the console at the first of them")
        );
    }

    #[test]
    fn a_kernel_panic_fails() {
        let text = "\
[    0.000000] Linux version 6.1.0
[    2.000000] VFS: Cannot open root device \"xvda1\" or unknown-block(0,0): error -6
[    2.000001] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
[    2.000002] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---";
        let s = scan(text);
        assert_eq!(s.problems.len(), 2);
        assert!(s.problems.iter().all(|p| p.trouble == Trouble::KernelPanic));
        let f = judge(&s, 500);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(f.console_line, Some(2));
        assert!(f.reason.contains("kernel panicked"), "{}", f.reason);
    }

    #[test]
    fn systemd_failures_show_without_escapes() {
        let text = "[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mapp.service\x1b[0m - Course demo service.\n\
                    systemd[1]: Failed to mount boot.mount - /boot.\n\
                    [  OK  ] Reached target multi-user.target.\n";
        let s = scan(text);
        assert_eq!(s.problems.len(), 2);
        assert_eq!(
            s.problems[0].text,
            "[FAILED] Failed to start app.service - Course demo service."
        );
        assert_eq!(s.problems[1].trouble, Trouble::Systemd);
    }

    #[test]
    fn other_troubles_are_named() {
        let oom = scan("[  812.1] Out of memory: Killed process 1234 (java) total-vm:2GB");
        assert_eq!(oom.problems[0].trouble, Trouble::OutOfMemory);
        let emergency =
            scan("You are in emergency mode. After logging in, type \"journalctl -xb\"");
        assert_eq!(emergency.problems[0].trouble, Trouble::EmergencyMode);
        let dash = scan("/var/lib/cloud/instance/scripts/part-001: 3: foo: not found");
        assert_eq!(dash.problems[0].trouble, Trouble::UserData);
        let error = scan("cloud-init[700]: util.py[ERROR]: Failed to fetch metadata");
        assert_eq!(error.problems[0].trouble, Trouble::CloudInit);
        let fine = scan(
            "systemd[1]: Started app.service - Course demo service.\n\
             cloud-init[842]: running user-data script (21 bytes)\n\
             ci-info: no authorized SSH keys fingerprints found for user ec2-user.",
        );
        assert!(fine.problems.is_empty(), "{:?}", fine.problems);
    }

    #[test]
    fn an_unfinished_boot_is_a_question() {
        let text = "\
[    0.000000] Linux version 6.1.112 (mockbuild@ip-10-0-1-1)
[    3.100000] cloud-init[612]: Cloud-init v. 23.1 running 'init-local'.
[    4.000000] cloud-init[655]: Generating public/private ed25519 key pair.";
        let f = judge(&scan(text), 500);
        assert_eq!(f.verdict, Verdict::Unknown);
        assert!(f.reason.contains("no login prompt yet"), "{}", f.reason);
        let tail = judge(&scan("app[812]: GET /health 200 3ms\n"), 50);
        assert_eq!(tail.verdict, Verdict::Unknown);
        assert!(tail.reason.contains("last 50 lines"), "{}", tail.reason);
    }

    #[test]
    fn an_empty_console_is_a_question() {
        for text in ["", "\n\r\n  \n"] {
            let f = judge(&scan(text), 500);
            assert_eq!(f.verdict, Verdict::Unknown);
            assert!(f.reason.starts_with("the console is empty"), "{}", f.reason);
        }
    }

    #[test]
    fn many_problems_are_capped() {
        let text: String = (0..20)
            .map(|i| {
                format!(
                    "systemd[1]: Failed to start unit{i}.service - {}.\n",
                    "x".repeat(300)
                )
            })
            .collect();
        let f = judge(&scan(&text), 500);
        assert_eq!(f.lines.len(), MAX_LINES + 1);
        assert_eq!(f.lines[MAX_LINES], "… and 12 more");
        assert!(f.lines[0].chars().count() <= MAX_LINE_CHARS + 1);
        assert!(f.lines[0].ends_with('…'));
    }

    fn ctx(id: &str) -> DoctorContext {
        DoctorContext {
            instance: crate::testutil::instance(id, "web"),
            cloud_label: "default/eu-west-1".into(),
            login_user: None,
            identity_file: None,
            default_user: "ec2-user".into(),
            service_ports: Vec::new(),
            health_url: None,
            home: None,
            console_lines: 500,
            probe_timeout: std::time::Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn check_reads_the_simulators_console() {
        use crate::cloud::sim::{AWS_IMAGES, SIM_KEY_NAME, SimProvider, SimSettings};
        use crate::domain::model::{CloudKind, LaunchSpec};
        use chrono::{Duration, TimeZone, Utc};
        use std::sync::{Arc, Mutex};

        let start = Utc
            .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .single()
            .expect("a time");
        let now = Arc::new(Mutex::new(start));
        let reader = Arc::clone(&now);
        let settings = SimSettings {
            latency_ms: 0,
            ..SimSettings::default()
        };
        let p = SimProvider::new(
            CloudKind::Aws,
            "default",
            "eu-west-1",
            settings,
            Arc::new(move || *reader.lock().expect("clock")),
        );
        let spec = LaunchSpec {
            region: "eu-west-1".into(),
            name: "boot".into(),
            count: 1,
            image: AWS_IMAGES[0].0.into(),
            size: "t2.nano".into(),
            key_name: Some(SIM_KEY_NAME.into()),
            security_groups: Vec::new(),
            network: None,
            user_data: None,
            detailed_monitoring: false,
            tags: Default::default(),
        };
        let id = p.launch(&spec).await.expect("launch").remove(0);
        let booting = check(&p, &ctx(&id)).await;
        assert_eq!(booting.verdict, Verdict::Unknown, "{}", booting.reason);
        *now.lock().expect("clock") += Duration::seconds(600);
        let up = check(&p, &ctx(&id)).await;
        assert_eq!(up.verdict, Verdict::Pass, "{}", up.reason);
        let gone = check(&p, &ctx("i-0000000000nothere")).await;
        assert!(gone.unasked, "{gone:?}");
    }
}
