//! The console log of a simulated instance: a boot log spread over the
//! pending period, then a journal-like line every few seconds, then the
//! shutdown once it stops. Every line is a pure function of the instance
//! and the time, so the log only grows and a tail is cheap.

use chrono::{DateTime, Duration, Utc};

use super::dialect::{Dialect, image_label};
use super::hash::{fnv1a, mix};
use super::world::SimInstance;

/// A journal-like console line every this often once running, so follow mode moves.
const CONSOLE_TICK_MS: i64 = 5_000;
/// AWS returns at most 64 KB of console; this keeps a huge `lines` equally cheap.
pub(super) const MAX_CONSOLE_LINES: u64 = 10_000;

const SHUTDOWN: [&str; 3] = [
    "systemd[1]: Stopping app.service - Course demo service...",
    "systemd-shutdown[1]: Syncing filesystems and block devices.",
    "reboot: Power down",
];

/// The last `lines` lines of the console at `now`; `pending` is how long
/// the boot takes.
pub(super) fn console_text(
    dialect: Dialect,
    inst: &SimInstance,
    pending: Duration,
    now: DateTime<Utc>,
    lines: u32,
) -> String {
    let pending_ms = pending.num_milliseconds();
    let cutoff = inst.end_of_run(now);
    let end = cutoff.unwrap_or(now);
    let elapsed_ms = (end - inst.launched_at).num_milliseconds();
    if elapsed_ms < 0 {
        return String::new();
    }
    let boot = boot_script(dialect, inst, pending_ms);
    let boot_len = i64::try_from(boot.len()).unwrap_or(i64::MAX);
    let boot_at = |k: i64| -> i64 {
        if boot_len <= 1 {
            pending_ms
        } else {
            pending_ms.saturating_mul(k) / (boot_len - 1)
        }
    };
    let visible_boot = (0..boot_len)
        .take_while(|&k| boot_at(k) <= elapsed_ms)
        .count() as u64;
    let periodic = if elapsed_ms >= pending_ms {
        ((elapsed_ms - pending_ms) / CONSOLE_TICK_MS) as u64
    } else {
        0
    };
    let shutdown: &[&str] = if cutoff.is_some() { &SHUTDOWN } else { &[] };
    let total = visible_boot + periodic + shutdown.len() as u64;
    let take = total.min(u64::from(lines)).min(MAX_CONSOLE_LINES);
    let hash = fnv1a(inst.id.as_bytes());
    let mut text = String::new();
    for index in total - take..total {
        let line = if index < visible_boot {
            let k = index as usize;
            let (stamped, body) = &boot[k];
            if *stamped {
                format!("{}{body}", stamp(boot_at(k as i64), k as u64))
            } else {
                body.clone()
            }
        } else if index < visible_boot + periodic {
            let j = index - visible_boot;
            let at = pending_ms + (j as i64 + 1) * CONSOLE_TICK_MS;
            format!("{}{}", stamp(at, j), periodic_line(dialect, hash, j))
        } else {
            let s = (index - visible_boot - periodic) as usize;
            format!("{}{}", stamp(elapsed_ms, s as u64), shutdown[s])
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// A kernel-style `[   12.345678] ` prefix; the jitter keeps stamps distinct.
fn stamp(ms: i64, jitter: u64) -> String {
    let micros = (ms.rem_euclid(1000) * 1000) as u64 + (jitter * 137) % 1000;
    format!("[{:>5}.{:06}] ", ms.div_euclid(1000), micros)
}

/// The boot log, `(kernel-stamped, text)` per line; the lines are spread over
/// the pending period and the last one (the login prompt) appears when the
/// instance becomes running.
fn boot_script(dialect: Dialect, inst: &SimInstance, pending_ms: i64) -> Vec<(bool, String)> {
    let host = dialect.host_name(&inst.name, &inst.private_ip);
    let os = image_label(&inst.image);
    let amazon = os.starts_with("Amazon");
    let kernel = if amazon {
        "6.1.112-124.190.amzn2023.x86_64"
    } else {
        "5.15.0-122-generic"
    };
    let xen = dialect.runs_on_xen(&inst.size);
    let (mask, datasource) = dialect.network_and_datasource();
    let mac = {
        let h = fnv1a(inst.id.as_bytes());
        format!(
            "fa:16:3e:{:02x}:{:02x}:{:02x}",
            (h >> 8) & 0xFF,
            (h >> 16) & 0xFF,
            (h >> 24) & 0xFF
        )
    };
    let k = |s: String| (true, s);
    let mut lines = vec![
        k(format!("Linux version {kernel} (builder@buildhost) (gcc 11.4.1) #1 SMP PREEMPT_DYNAMIC")),
        k(format!(
            "Command line: BOOT_IMAGE=/boot/vmlinuz-{kernel} root=LABEL=/ ro console=tty0 console=ttyS0,115200n8"
        )),
        k(format!(
            "Hypervisor detected: {}",
            if xen { "Xen HVM" } else { "KVM" }
        )),
        k("BIOS-provided physical RAM map:".into()),
        k("Memory: 447532K/523900K available (16384K kernel code, 4096K rwdata)".into()),
        k("smpboot: CPU0: Intel(R) Xeon(R) CPU E5-2676 v3 @ 2.40GHz (family: 0x6, model: 0x3f)".into()),
        k(format!(
            "clocksource: Switched to clocksource {}",
            if xen { "xen" } else { "kvm-clock" }
        )),
        k("Freeing unused kernel image (initmem) memory: 2804K".into()),
        k("Run /init as init process".into()),
        k(if xen {
            "xen_netfront: Initialising Xen virtual ethernet driver".into()
        } else {
            "virtio_net virtio0 ens3: renamed from eth0".into()
        }),
        k("EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.".into()),
        k("systemd[1]: systemd 252 running in system mode (+PAM +AUDIT +SELINUX)".into()),
        k(format!("systemd[1]: Hostname set to <{host}>.")),
        k("systemd[1]: Reached target sysinit.target - System Initialization.".into()),
        k("cloud-init[612]: Cloud-init v. 23.4 running 'init-local'.".into()),
        k("cloud-init[655]: Cloud-init v. 23.4 running 'init'.".into()),
        (false, "ci-info: ++++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++++".into()),
        (false, "ci-info: | Device |  Up  |    Address     |      Mask     | Scope  |     Hw-Address    |".into()),
        (false, format!("ci-info: |  eth0  | True | {:<14} | {mask} | global | {mac} |", inst.private_ip)),
        k("cloud-init[655]: Generating public/private ed25519 key pair.".into()),
        k("systemd[1]: Started sshd.service - OpenSSH server daemon.".into()),
        k("cloud-init[801]: Cloud-init v. 23.4 running 'modules:config'.".into()),
        k("cloud-init[842]: Cloud-init v. 23.4 running 'modules:final'.".into()),
    ];
    if inst.user_data_len > 0 {
        lines.push(k(format!(
            "cloud-init[842]: running user-data script ({} bytes)",
            inst.user_data_len
        )));
    }
    if inst.user_data_fails {
        // What a broken script looks like on a real cloud-init console.
        lines.push(k(
            "cloud-init[842]: /var/lib/cloud/instance/scripts/part-001: line 7: javaa: command not found".into(),
        ));
        lines.push(k(
            "cloud-init[842]: 2026-11-21 10:00:41,218 - cc_scripts_user.py[WARNING]: Failed to run module scripts_user (scripts in /var/lib/cloud/instance/scripts)".into(),
        ));
        lines.push(k(
            "cloud-init[842]: 2026-11-21 10:00:41,219 - util.py[WARNING]: Running module scripts_user (<module 'cloudinit.config.cc_scripts_user'>) failed".into(),
        ));
        lines.push(k(
            "systemd[1]: Failed to start app.service - Course demo service.".into(),
        ));
    } else {
        // The course image ships the service; user-data only configures it.
        lines.push(k(
            "systemd[1]: Started app.service - Course demo service.".into()
        ));
    }
    let up = pending_ms as f64 / 1000.0;
    let done_at = inst.launched_at + Duration::milliseconds(pending_ms);
    lines.push(k(format!(
        "cloud-init[842]: Cloud-init v. 23.4 finished at {}. Datasource {datasource}.  Up {up:.2} seconds",
        done_at.format("%a, %d %b %Y %H:%M:%S +0000")
    )));
    lines.push((false, String::new()));
    if amazon {
        lines.push((false, "Amazon Linux 2023.6.20241031".into()));
        lines.push((false, format!("Kernel {kernel} on an x86_64 (ttyS0)")));
    } else {
        lines.push((false, format!("{os} {host} ttyS0")));
    }
    lines.push((false, String::new()));
    lines.push((false, format!("{host} login: ")));
    lines
}

/// The `j`-th journal-like line after boot, a pure function of (instance, j).
fn periodic_line(dialect: Dialect, hash: u64, j: u64) -> String {
    let r = mix(hash ^ j.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let pid = 700 + hash % 300;
    // A fixed rhythm (a timer every minute, a clock sync every ten) between
    // the service's own chatter reads like a real journal.
    match (j % 12, j % 120) {
        (_, 60) => format!(
            "chronyd[{}]: Selected source {}",
            400 + hash % 100,
            dialect.time_server()
        ),
        (0, _) => {
            "systemd[1]: Starting sysstat-collect.service - system activity accounting tool..."
                .into()
        }
        (1, _) => "systemd[1]: sysstat-collect.service: Deactivated successfully.".into(),
        _ => match r % 3 {
            0 => format!("app[{pid}]: GET /health 200 {}ms", 1 + (r >> 8) % 40),
            1 => format!(
                "app[{pid}]: served {} requests in the last 5s",
                (r >> 8) % 200
            ),
            _ => format!("app[{pid}]: heartbeat {j} ok"),
        },
    }
}
