//! CPU time and peak memory of the bot process, read from Linux's `/proc/<pid>/stat` and
//! `/proc/<pid>/status` (parsing is pure; reading is one file each).

use std::time::Duration;

use super::LoadtestError;

/// `USER_HZ`: the unit of the CPU fields in `/proc/<pid>/stat`. The kernel fixes it at 100 for
/// user space on every architecture it exports it to, whatever the internal tick rate.
const TICKS_PER_SECOND: u64 = 100;

/// CPU time of a process, all threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTime {
    pub user: Duration,
    pub system: Duration,
}

impl CpuTime {
    pub fn total(&self) -> Duration {
        self.user + self.system
    }

    /// What was spent since `earlier`.
    pub fn since(&self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

fn from_ticks(ticks: u64) -> Duration {
    Duration::from_secs(ticks / TICKS_PER_SECOND)
        + Duration::from_millis((ticks % TICKS_PER_SECOND) * 1000 / TICKS_PER_SECOND)
}

/// User and system CPU time (all threads) from the text of `/proc/<pid>/stat`.
pub fn parse_cpu_time(stat: &str) -> Option<CpuTime> {
    // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(CpuTime {
        user: from_ticks(utime),
        system: from_ticks(stime),
    })
}

/// Peak resident set size (`VmHWM`) in KiB from the text of `/proc/<pid>/status`.
pub fn parse_peak_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn read(pid: u32, file: &str) -> Result<String, LoadtestError> {
    let path = format!("/proc/{pid}/{file}");
    std::fs::read_to_string(&path).map_err(|source| LoadtestError::Io {
        what: format!("reading {path}"),
        source,
    })
}

pub fn cpu_time(pid: u32) -> Result<CpuTime, LoadtestError> {
    parse_cpu_time(&read(pid, "stat")?)
        .ok_or_else(|| LoadtestError::Setup(format!("unreadable /proc/{pid}/stat")))
}

/// Open file descriptors (sockets, the database, the log) of a process; `None` when
/// `/proc/<pid>/fd` cannot be listed.
pub fn open_fds(pid: u32) -> Option<usize> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()
        .map(Iterator::count)
}

pub fn peak_rss_kib(pid: u32) -> Result<u64, LoadtestError> {
    parse_peak_rss_kib(&read(pid, "status")?)
        .ok_or_else(|| LoadtestError::Setup(format!("no VmHWM in /proc/{pid}/status")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_fields_are_found_after_an_awkward_command_name() {
        let stat = "4242 (tilt guard) x) S 1 4242 4242 0 -1 4194560 5000 0 0 0 \
                    1234 56 0 0 20 0 9 0 100 50000000 4000 18446744073709551615";
        let cpu = parse_cpu_time(stat).expect("parsed");
        assert_eq!(cpu.user, Duration::from_millis(12_340));
        assert_eq!(cpu.system, Duration::from_millis(560));
        assert_eq!(cpu.total(), Duration::from_millis(12_900));
        assert_eq!(parse_cpu_time("garbage"), None);
    }

    #[test]
    fn peak_rss_is_read_in_kib() {
        let status =
            "Name:\ttiltguard\nVmPeak:\t  90000 kB\nVmHWM:\t   21504 kB\nVmRSS:\t 20000 kB\n";
        assert_eq!(parse_peak_rss_kib(status), Some(21_504));
        assert_eq!(parse_peak_rss_kib("Name: x\n"), None);
    }

    #[test]
    fn this_process_can_be_measured() {
        let pid = std::process::id();
        assert!(peak_rss_kib(pid).expect("status") > 0);
        assert!(cpu_time(pid).is_ok());
        assert!(
            open_fds(pid).is_some_and(|n| n >= 3),
            "stdin, stdout, stderr at least"
        );
    }
}
