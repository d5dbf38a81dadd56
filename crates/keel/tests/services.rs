//! Services beside the workload, run by the real keel: the start order after readiness
//! (sd_notify and s6's fd), readiness timeouts, restarts and their back-off, critical
//! services, the ordered stop, the drain of what services leave, and a real sd_notify daemon
//! (Debian's redis-server).
//!
//! Services are dash scripts that record what happens to them in files of the scratch
//! directory: timestamps (`date +%s%N`) for the order, one line per run for the counts.

mod common;
use common::{KEEL, Running, Scratch, TIMEOUT, processes_mentioning, text, wait_exit};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// sd_notify from a shell: sends `$1` to the datagram socket in `$NOTIFY_SOCKET`, an
/// abstract `@name` as keel gives it.
const NOTIFY: &str = "python3 -c 'import os, socket, sys; a = os.environ[\"NOTIFY_SOCKET\"]; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), \"\\0\" + a[1:])'";

/// keel -v with the config compiled from `toml`, then `program` (none: services only).
fn keel(dir: &Scratch, toml: &str, program: &[&str]) -> Command {
    let config = dir.config("services.cfg", toml);
    let mut cmd = Command::new(KEEL);
    cmd.arg("-v").arg("-c").arg(config).args(program);
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs to completion within `TIMEOUT`.
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn keel");
    let code = wait_exit(&mut child, || format!("{cmd:?}"));
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(code));
    out
}

fn status(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

/// A TOML string of `s`: Rust's escapes for quotes and backslashes are TOML's.
fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// `[[service]]` running `script` under sh, with `more` settings.
fn service(name: &str, script: &str, more: &str) -> String {
    format!(
        "[[service]]\nname = \"{name}\"\nargs = [\"/bin/sh\", \"-c\", {}]\n{more}\n",
        quoted(script)
    )
}

/// Waits until `path` exists, within `TIMEOUT`.
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < TIMEOUT,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn nanos(path: &Path) -> u128 {
    read(path).trim().parse().expect("a timestamp")
}

/// The lines of keel's stderr that contain `what`.
fn lines_with<'a>(stderr: &'a str, what: &str) -> Vec<&'a str> {
    stderr.lines().filter(|line| line.contains(what)).collect()
}

#[test]
fn web_starts_only_after_db_says_ready_over_sd_notify() {
    let dir = Scratch::new("svc-notify");
    let d = dir.path("").display().to_string();
    let toml = service(
        "db",
        &format!("sleep 0.3; date +%s%N > {d}/db_ready; {NOTIFY} READY=1; exec sleep 100"),
        "ready = \"notify\"",
    ) + &service(
        "web",
        &format!("date +%s%N > {d}/web_started; exec sleep 100"),
        "after = [\"db\"]",
    );
    let main = format!("while [ ! -e {d}/web_started ]; do sleep 0.02; done; exit 3");
    let out = run(&mut keel(&dir, &toml, &["/bin/sh", "-c", &main]));
    let stderr = text(&out.stderr);
    assert_eq!(status(&out), 3, "{stderr}");
    let (ready, started) = (
        nanos(&dir.path("db_ready")),
        nanos(&dir.path("web_started")),
    );
    assert!(
        ready <= started,
        "web started {ready} > {started}: before db was ready\n{stderr}"
    );
    assert_eq!(
        lines_with(&stderr, "service db: ready").len(),
        1,
        "{stderr}"
    );
}

#[test]
fn fd_readiness_orders_the_start_and_a_ready_timeout_is_a_failed_start() {
    let dir = Scratch::new("svc-fd");
    let d = dir.path("").display().to_string();
    let toml = service(
        "a",
        &format!("sleep 0.3; date +%s%N > {d}/a_ready; echo >&3; exec sleep 100"),
        "ready = \"fd:3\"",
    ) + &service(
        "b",
        &format!("date +%s%N > {d}/b_started; exec sleep 100"),
        "after = [\"a\"]",
    ) + &service(
        "silent",
        &format!("echo run >> {d}/silent_runs; exec sleep 100"),
        "ready = \"notify\"\nready_timeout = \"200ms\"\nrestart = \"on-failure\"\nrestart_delay = \"100ms\"\nrestart_max = \"100ms\"",
    ) + &service(
        "never",
        &format!("date > {d}/never_started"),
        "after = [\"silent\"]",
    );
    let main = format!("while [ ! -e {d}/b_started ]; do sleep 0.02; done; sleep 1");
    let out = run(&mut keel(&dir, &toml, &["/bin/sh", "-c", &main]));
    let stderr = text(&out.stderr);
    assert_eq!(status(&out), 0, "{stderr}");
    assert!(
        nanos(&dir.path("a_ready")) <= nanos(&dir.path("b_started")),
        "{stderr}"
    );
    // Each run of the silent service is killed at its timeout and, a failure, restarted.
    let timeouts = lines_with(&stderr, "service silent: not ready after 200 ms");
    let runs = read(&dir.path("silent_runs")).lines().count();
    assert!(
        (2..=6).contains(&timeouts.len()),
        "{} timeouts\n{stderr}",
        timeouts.len()
    );
    assert!(
        runs == timeouts.len() || runs == timeouts.len() + 1,
        "{runs} runs\n{stderr}"
    );
    assert!(
        !dir.path("never_started").exists(),
        "started after a never-ready service"
    );
}

#[test]
fn restarts_back_off_doubling_to_the_maximum_and_follow_the_policy() {
    let dir = Scratch::new("svc-restart");
    let d = dir.path("").display().to_string();
    let toml = service(
        "flaky",
        &format!("echo run >> {d}/flaky; exit 1"),
        "restart = \"on-failure\"\nrestart_delay = \"50ms\"\nrestart_max = \"200ms\"",
    ) + &service(
        "done",
        &format!("echo run >> {d}/done; exit 0"),
        "restart = \"on-failure\"",
    ) + &service(
        "always",
        &format!("echo run >> {d}/always; exit 0"),
        "restart = \"always\"\nrestart_delay = \"300ms\"",
    ) + &service("once", &format!("echo run >> {d}/once; exit 1"), "");
    let out = run(&mut keel(&dir, &toml, &["sleep", "1.5"]));
    let stderr = text(&out.stderr);
    assert_eq!(status(&out), 0, "{stderr}");
    // 0, 50, 150, 350, 550 ... ms: about 8 runs in 1.5 s; without the back-off, hundreds.
    let runs = read(&dir.path("flaky")).lines().count();
    assert!((5..=11).contains(&runs), "flaky ran {runs} times\n{stderr}");
    let delays: Vec<u64> = lines_with(&stderr, "service flaky: restart ")
        .iter()
        .map(|line| {
            line.rsplit(" in ")
                .next()
                .unwrap()
                .trim_end_matches(" ms")
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(delays.len(), runs, "one restart line per exit\n{stderr}");
    assert_eq!(delays[..3], [50, 100, 200], "{stderr}");
    assert!(delays.iter().all(|&ms| ms <= 200), "{delays:?}");
    // on-failure does not restart a success, no restarts nothing; always restarts it.
    assert_eq!(read(&dir.path("done")).lines().count(), 1);
    assert_eq!(read(&dir.path("once")).lines().count(), 1);
    let always = read(&dir.path("always")).lines().count();
    assert!(
        (3..=7).contains(&always),
        "always ran {always} times\n{stderr}"
    );
}

#[test]
fn a_critical_service_ending_stops_the_container_with_its_status() {
    let dir = Scratch::new("svc-critical");
    let d = dir.path("").display().to_string();
    let toml = service(
        "crit",
        "sleep 0.3; exit 7",
        "critical = true\nrestart = \"no\"",
    );
    // The main workload gets SIGTERM, as from keel's stop signal, and exits on it.
    let main = format!("trap 'echo term > {d}/main_term; exit 0' TERM; sleep 100 & wait");
    let out = run(&mut keel(&dir, &toml, &["/bin/sh", "-c", &main]));
    let stderr = text(&out.stderr);
    assert_eq!(status(&out), 7, "{stderr}");
    assert_eq!(read(&dir.path("main_term")), "term\n");
    // Without a main workload, keel runs the services until a critical one ends.
    let toml = service("idle", "exec sleep 100", "")
        + &service("crit", "sleep 0.2; exit 5", "critical = true");
    let out = run(&mut keel(&dir, &toml, &[]));
    assert_eq!(status(&out), 5, "{}", text(&out.stderr));
}

#[test]
fn sigterm_stops_the_main_workload_then_the_services_in_reverse_order() {
    let dir = Scratch::new("svc-stop");
    let d = dir.path("").display().to_string();
    let stoppable = |name: &str| {
        format!(
            "trap 'echo {name} >> {d}/stops; exit 0' TERM; touch {d}/up_{name}; sleep 100 & wait"
        )
    };
    let toml = service("a", &stoppable("a"), "")
        + &service("b", &stoppable("b"), "after = [\"a\"]")
        + &service(
            "c",
            &stoppable("c"),
            "after = [\"b\"]\nstop_signal = \"TERM\"",
        );
    let running = Running::start(&mut keel(
        &dir,
        &toml,
        &["/bin/sh", "-c", &stoppable("main")],
    ));
    for name in ["a", "b", "c", "main"] {
        wait_for(&dir.path(&format!("up_{name}")));
    }
    let pid = running.child.id() as i32;
    // SAFETY: plain kill(2) of the keel this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let (code, _) = running.finish();
    assert_eq!(code, 0);
    assert_eq!(read(&dir.path("stops")), "main\nc\nb\na\n");
    // Without a main workload the stop signal stops the services alone, in the same order.
    let dir = Scratch::new("svc-stop-alone");
    let d2 = dir.path("").display().to_string();
    let stoppable = |name: &str| {
        format!(
            "trap 'echo {name} >> {d2}/stops; exit 0' TERM; touch {d2}/up_{name}; sleep 100 & wait"
        )
    };
    let toml =
        service("a", &stoppable("a"), "") + &service("b", &stoppable("b"), "after = [\"a\"]");
    let running = Running::start(&mut keel(&dir, &toml, &[]));
    wait_for(&dir.path("up_b"));
    // SAFETY: as above.
    assert_eq!(
        unsafe { libc::kill(running.child.id() as i32, libc::SIGTERM) },
        0
    );
    let (code, _) = running.finish();
    assert_eq!(code, 0);
    assert_eq!(read(&dir.path("stops")), "b\na\n");
}

#[test]
fn what_services_leave_is_drained_and_their_zombies_reaped() {
    let dir = Scratch::new("svc-drain");
    let d = dir.path("").display().to_string();
    // A copy of sleep named after the scratch directory, so its processes can be found.
    let sleeper = dir.path("sleeper");
    std::fs::copy("/bin/sleep", &sleeper).expect("copy sleep");
    let s = sleeper.display();
    let toml = service(
        "leaver",
        &format!("({s} 100 &); echo run >> {d}/runs; exit 1"),
        "restart = \"on-failure\"\nrestart_delay = \"50ms\"\nrestart_max = \"50ms\"",
    ) + &service("forker", &format!("while :; do {s} 0.01 & wait; done"), "");
    let mut cmd = keel(&dir, &toml, &["sleep", "1"]);
    let running = Running::start(&mut cmd);
    let keel_pid = running.child.id();
    std::thread::sleep(Duration::from_millis(500));
    // Zombies come and go as services and orphans exit; none may stay.
    let zombies = || zombie_children(keel_pid);
    let first = zombies();
    std::thread::sleep(Duration::from_millis(300));
    let lasting: Vec<u32> = zombies()
        .into_iter()
        .filter(|pid| first.contains(pid))
        .collect();
    assert!(
        lasting.is_empty(),
        "zombies of keel not reaped: {lasting:?}"
    );
    let (code, _) = running.finish();
    assert_eq!(code, 0);
    let runs = read(&dir.path("runs")).lines().count();
    assert!(runs >= 3, "leaver ran {runs} times");
    // Every orphan left by every run was drained with keel.
    assert_eq!(processes_mentioning(&sleeper), Vec::<String>::new());
}

/// The zombies whose parent is `pid`.
fn zombie_children(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        if fields.first() == Some(&"Z") && fields.get(1) == Some(&pid.to_string().as_str()) {
            found.push(head.split(' ').next().unwrap_or("0").parse().unwrap_or(0));
        }
    }
    found
}

#[test]
fn redis_server_reports_ready_over_sd_notify_and_answers_ping() {
    let dir = Scratch::new("svc-redis");
    let d = dir.path("").display().to_string();
    let redis = format!(
        "[[service]]\nname = \"redis\"\nargs = [\"/usr/bin/redis-server\", \"--supervised\", \"systemd\", \"--port\", \"0\", \"--unixsocket\", \"{d}/redis.sock\", \"--save\", \"\", \"--dir\", \"{d}\"]\nready = \"notify\"\nready_timeout = \"15s\"\n"
    );
    let toml = redis
        + &service(
            "client",
            &format!(
                "redis-cli -s {d}/redis.sock PING > {d}/ping.tmp && mv {d}/ping.tmp {d}/ping; exec sleep 100"
            ),
            "after = [\"redis\"]",
        );
    let main = format!("while [ ! -e {d}/ping ]; do sleep 0.05; done");
    let out = run(&mut keel(&dir, &toml, &["/bin/sh", "-c", &main]));
    let stderr = text(&out.stderr);
    assert_eq!(status(&out), 0, "{stderr}");
    assert_eq!(
        lines_with(&stderr, "service redis: ready").len(),
        1,
        "{stderr}"
    );
    assert_eq!(read(&dir.path("ping")), "PONG\n");
    assert_eq!(
        lines_with(&stderr, "service redis: exited with status 0").len(),
        1,
        "{stderr}"
    );
}

#[test]
fn services_are_refused_in_exec_mode_where_nothing_supervises_them() {
    // keel-gen refuses mode = "exec" with services; the command line can still ask for it.
    // (A keel built without the feature refuses the section itself: config.rs.)
    let dir = Scratch::new("svc-exec");
    let marker = dir.path("ran");
    let toml = service("a", &format!("touch {}", marker.display()), "");
    let out = run(&mut keel(&dir, &toml, &["--exec", "true"]));
    assert_eq!(status(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("services need keel to supervise"),
        "{}",
        text(&out.stderr)
    );
    assert!(!marker.exists(), "the service ran");
}

#[test]
fn services_are_refused_with_a_launchers_descriptors() {
    // keel-gen refuses status_fd/block_fd beside services; the command line can still ask.
    let dir = Scratch::new("svc-launcher");
    let marker = dir.path("ran");
    let toml = service("a", &format!("touch {}", marker.display()), "");
    for option in ["--status-fd", "--block-fd"] {
        let mut cmd = keel(&dir, &toml, &[option, "1", "true"]);
        // The refusal comes before the descriptor's own check: 1 would fail that one.
        let out = run(&mut cmd);
        assert_eq!(status(&out), 2, "{option}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stderr).trim_end(),
            "keel: launcher: --status-fd and --block-fd are for one workload, and this config has services: run the services without them",
            "{option}"
        );
    }
    assert!(!marker.exists(), "a service ran");
}
