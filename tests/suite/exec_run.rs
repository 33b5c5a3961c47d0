//! Running approved steps with real processes: hostile label values stay one argv element (or
//! arrive only through the environment for `shell: true` steps), timeouts kill the whole
//! process group, output is capped and counted, the environment is an allowlist, dry runs run
//! nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use flightdeck::actions::step::Command;
use flightdeck::actions::{Step, StepKind, StepOrigin, render_argv};
use flightdeck::exec::{ExecConfig, ExecError, Invocation, dry_run, run};

/// Values a label could carry if someone controls what an alert says.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "; rm -rf /",
        "$(id)",
        "`id`",
        "${HOME}",
        "$HOME",
        "a\nb\nc",
        "\n",
        "-rf",
        "--help",
        "-n",
        "'single' \"double\" \\back\\",
        "\"; id; echo \"",
        "' ; id ; echo '",
        "a b\tc",
        "\u{202e}evil\u{202c}txt.exe",
        "\u{200f}rtl\u{200e}ltr\u{2066}isolate\u{2069}",
        "* ? [a-z] ~ {a,b}",
        "| cat /etc/passwd > /tmp/x &",
        "%s%n%x %%",
        "\\0 \\x41 \\101",
        "\u{1b}[31mred\u{1b}[0m",
        "{{labels.other}}",
        "ünïcödé 🚨 日本語",
        "",
        " ",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    v.push("A".repeat(100 * 1024));
    v.push("; $(id) `id`\n".repeat(5_000)); // 70 KB of mixed hostility
    v
}

fn argv_step(argv: &[&str]) -> Step {
    step(Command::Argv(argv.iter().map(|s| s.to_string()).collect()))
}

fn labels(x: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("x".to_string(), x.to_string()),
        ("other".to_string(), "OTHER".to_string()),
    ])
}

fn step(command: Command) -> Step {
    Step {
        id: "s".into(),
        title: "t".into(),
        kind: StepKind::Diagnostic,
        command,
        timeout: None,
        audited: None,
        origin: StepOrigin::Structured,
    }
}

fn fast() -> ExecConfig {
    ExecConfig {
        timeout: Duration::from_secs(20),
        grace: Duration::from_millis(300),
        ..ExecConfig::default()
    }
}

/// The NUL-separated fields of `printf '%s\0' ARGS...`.
fn fields(out: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = out.split(|&b| b == 0).collect();
    assert_eq!(v.pop(), Some(&b""[..]), "output ends with a NUL");
    v
}

#[tokio::test]
async fn hostile_label_values_stay_one_argv_element() {
    let template = argv_step(&["printf", "%s\\0", "{{labels.x}}"]);
    let none = BTreeMap::new();
    for value in hostile() {
        let argv = render_argv(template.argv(), &labels(&value), &none).unwrap();
        assert_eq!(argv.len(), 3);
        let inv = Invocation::from_step(&template, &labels(&value), &none).unwrap();
        assert_eq!(inv.argv, argv);
        assert!(inv.script.is_none() && inv.env.is_empty());
        let result = run(&inv, &fast()).await.unwrap();
        assert_eq!(
            result.exit_code,
            Some(0),
            "{:?}",
            String::from_utf8_lossy(&result.stderr)
        );
        assert_eq!(
            fields(&result.stdout),
            vec![value.as_bytes()],
            "value {:?} did not come back verbatim as one argument",
            &value[..value.len().min(40)]
        );
    }
}

#[tokio::test]
async fn hostile_values_inside_a_larger_element_stay_inside_it() {
    let template = argv_step(&["printf", "%s\\0", "--pod={{labels.x}}.{{labels.other}}"]);
    let none = BTreeMap::new();
    for value in hostile() {
        let inv = Invocation::from_step(&template, &labels(&value), &none).unwrap();
        let result = run(&inv, &fast()).await.unwrap();
        let expected = format!("--pod={value}.OTHER");
        assert_eq!(fields(&result.stdout), vec![expected.as_bytes()]);
    }
}

#[tokio::test]
async fn shell_steps_get_values_only_through_the_environment() {
    let script = r#"printf '%s\0' "$FD_LABEL_X" "$FD_LABEL_OTHER" '{{labels.x}}'"#;
    let template = step(Command::Shell(script.into()));
    let none = BTreeMap::new();
    for value in hostile() {
        let inv = Invocation::from_step(&template, &labels(&value), &none).unwrap();
        assert_eq!(
            inv.script.as_deref(),
            Some(script),
            "the script is never templated"
        );
        assert_eq!(inv.env["FD_LABEL_X"], value);
        let line = inv.command_line(&fast()).unwrap();
        assert_eq!(&line[..3], ["/bin/sh", "-c", script]);
        assert!(
            value.len() < 3 || !line.iter().any(|a| a.contains(value.as_str())),
            "no value is spliced into the command line"
        );
        let result = run(&inv, &fast()).await.unwrap();
        assert_eq!(result.exit_code, Some(0));
        assert_eq!(
            fields(&result.stdout),
            vec![value.as_bytes(), b"OTHER", b"{{labels.x}}"],
            "value {:?}",
            &value[..value.len().min(40)]
        );
        assert!(result.env.contains(&"FD_LABEL_X".to_string()));
    }
}

#[tokio::test]
async fn a_nul_byte_cannot_be_smuggled_into_an_argument() {
    let inv = Invocation::argv(vec!["printf".into(), "%s".into(), "a\0; id".into()]);
    assert!(matches!(
        run(&inv, &fast()).await,
        Err(ExecError::Spawn { .. })
    ));
}

/// `true` once `pid` is gone (or a zombie nobody reaped yet: it runs nothing any more).
fn dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

/// Polls until `pid` is gone, with a generous deadline (a loaded machine reaps slowly; the
/// test moves on as soon as it is).
async fn eventually_dead(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if dead(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    dead(pid)
}

fn pids(out: &[u8]) -> Vec<u32> {
    String::from_utf8_lossy(out)
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group() {
    let inv = Invocation::argv(vec![
        "sh".into(),
        "-c".into(),
        "sleep 1000 & echo $$ $!; wait".into(),
    ])
    .with_timeout(Some(Duration::from_millis(300)));
    // Timed out and killed (the 1000 s sleep cannot end by itself during a test).
    let result = run(&inv, &fast()).await.unwrap();
    assert!(result.timed_out);
    assert_eq!(result.signal, Some(libc::SIGTERM));
    assert!(result.duration >= Duration::from_millis(300));
    assert!(
        result.summary().starts_with("timed out"),
        "{}",
        result.summary()
    );
    let ps = pids(&result.stdout);
    assert_eq!(ps.len(), 2, "shell and grandchild pids");
    for pid in ps {
        assert!(
            eventually_dead(pid).await,
            "process {pid} survived the timeout"
        );
    }
}

#[tokio::test]
async fn processes_that_ignore_sigterm_get_sigkill_after_the_grace_period() {
    // Ignored signals stay ignored across exec: the shell and its sleep both shrug off SIGTERM.
    let inv = Invocation::argv(vec![
        "sh".into(),
        "-c".into(),
        "trap '' TERM; sleep 1000 & echo $$ $!; wait; wait".into(),
    ])
    .with_timeout(Some(Duration::from_millis(200)));
    let cfg = ExecConfig {
        grace: Duration::from_millis(300),
        ..fast()
    };
    let result = run(&inv, &cfg).await.unwrap();
    assert!(result.timed_out);
    assert_eq!(result.signal, Some(libc::SIGKILL));
    assert!(result.duration >= Duration::from_millis(500));
    for pid in pids(&result.stdout) {
        assert!(eventually_dead(pid).await, "process {pid} survived SIGKILL");
    }
}

#[tokio::test]
async fn nothing_a_step_started_outlives_it() {
    let inv = Invocation::argv(vec![
        "sh".into(),
        "-c".into(),
        "sleep 1000 >/dev/null 2>&1 & echo $!".into(),
    ]);
    let result = run(&inv, &fast()).await.unwrap();
    assert_eq!(result.exit_code, Some(0));
    assert!(!result.timed_out);
    let pid = pids(&result.stdout)[0];
    assert!(
        eventually_dead(pid).await,
        "the background sleep was left running"
    );
}

#[tokio::test]
async fn abandoning_a_run_kills_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = format!("echo $$ > {}; exec sleep 1000", pidfile.display());
    let inv = Invocation::argv(vec!["sh".into(), "-c".into(), script]);
    let cfg = fast();
    let mut running = Box::pin(run(&inv, &cfg));
    // The run goes on until the step has written its pid; then it is abandoned (dropped).
    let pid: u32 = loop {
        tokio::select! {
            ended = &mut running => panic!("the run ended by itself: {ended:?}"),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        if let Some(pid) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            break pid;
        }
    };
    assert!(!dead(pid), "the step runs while its run is going");
    drop(running);
    assert!(eventually_dead(pid).await);
}

#[tokio::test]
async fn output_is_capped_and_the_rest_counted() {
    let five_mib = 5 * 1024 * 1024;
    let inv = Invocation::argv(vec![
        "sh".into(),
        "-c".into(),
        format!("head -c {five_mib} /dev/zero; head -c {five_mib} /dev/zero | tr '\\0' e >&2"),
    ]);
    let result = run(&inv, &fast()).await.unwrap();
    assert_eq!(result.exit_code, Some(0));
    assert_eq!(result.stdout.len(), 1024 * 1024);
    assert_eq!(result.stdout_dropped, 4 * 1024 * 1024);
    assert_eq!(result.stderr.len(), 1024 * 1024);
    assert!(result.stderr.iter().all(|&b| b == b'e'));
    assert_eq!(result.stderr_dropped, 4 * 1024 * 1024);
    assert!(
        result
            .summary()
            .contains("bytes of output over the cap dropped")
    );

    let small = ExecConfig {
        output_cap: 10,
        ..fast()
    };
    let result = run(
        &Invocation::argv(vec!["printf".into(), "0123456789abcdef".into()]),
        &small,
    )
    .await
    .unwrap();
    assert_eq!(
        (result.stdout.as_slice(), result.stdout_dropped),
        (&b"0123456789"[..], 6)
    );
}

#[tokio::test]
async fn the_environment_is_an_allowlist() {
    let env_bin = ["/usr/bin/env", "/bin/env"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("env(1)");
    let inv = Invocation::argv(vec![env_bin.into(), "-0".into()]);
    let result = run(&inv, &fast()).await.unwrap();
    let names: Vec<String> = result
        .stdout
        .split(|&b| b == 0)
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            String::from_utf8_lossy(kv)
                .split('=')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    let allowed = ExecConfig::default().env_allowlist;
    for name in &names {
        assert!(
            allowed.contains(name),
            "{name} leaked into the step's environment"
        );
    }
    assert_eq!(names, result.env);
    if std::env::var_os("PATH").is_some() {
        assert!(names.contains(&"PATH".to_string()));
    }
    // Cargo sets these for the test; a step must not see them.
    assert!(!names.iter().any(|n| n.starts_with("CARGO")));

    let none = ExecConfig {
        env_allowlist: Vec::new(),
        ..fast()
    };
    let mut inv = Invocation::argv(vec![env_bin.into()]);
    inv.env.insert("FD_LABEL_POD".into(), "api-1".into());
    let result = run(&inv, &none).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&result.stdout),
        "FD_LABEL_POD=api-1\n"
    );
}

#[tokio::test]
async fn dry_runs_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let inv = Invocation::argv(vec!["touch".into(), marker.display().to_string()]);
    let cfg = ExecConfig {
        dry_run: true,
        ..fast()
    };
    let result = run(&inv, &cfg).await.unwrap();
    assert!(result.dry_run && result.success());
    assert_eq!(result.argv, inv.argv);
    assert_eq!(result.summary(), "dry run");
    assert_eq!(dry_run(&inv, &fast()), result);
    assert!(!marker.exists());
    let outcome = result.outcome();
    assert!(outcome.dry_run && outcome.ok);

    let shell = Invocation::shell("echo \"$FD_LABEL_X\"", labels_env("v"));
    let preview = dry_run(&shell, &fast());
    assert_eq!(preview.argv[..3], ["/bin/sh", "-c", "echo \"$FD_LABEL_X\""]);
    assert!(preview.env.contains(&"FD_LABEL_X".to_string()));
}

fn labels_env(v: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("FD_LABEL_X".to_string(), v.to_string())])
}

#[tokio::test]
async fn exit_codes_signals_and_spawn_failures() {
    let sh = |script: &str| Invocation::argv(vec!["sh".into(), "-c".into(), script.into()]);
    let r = run(&sh("echo out; echo err >&2; exit 3"), &fast())
        .await
        .unwrap();
    assert_eq!((r.exit_code, r.signal, r.timed_out), (Some(3), None, false));
    assert_eq!(
        (r.stdout.as_slice(), r.stderr.as_slice()),
        (&b"out\n"[..], &b"err\n"[..])
    );
    assert!(!r.success());
    assert!(r.summary().starts_with("exit 3 in "), "{}", r.summary());

    let r = run(&sh("kill -KILL $$"), &fast()).await.unwrap();
    assert_eq!((r.exit_code, r.signal), (None, Some(libc::SIGKILL)));
    assert!(r.summary().starts_with("killed by SIGKILL"));

    let r = run(&Invocation::argv(vec!["true".into()]), &fast())
        .await
        .unwrap();
    assert!(r.success());
    assert_eq!(r.outcome().exit_code, Some(0));

    let missing = Invocation::argv(vec!["/nonexistent/flightdeck-no-such-tool".into()]);
    assert!(matches!(
        run(&missing, &fast()).await,
        Err(ExecError::Spawn { .. })
    ));
    assert!(matches!(
        run(&Invocation::argv(Vec::new()), &fast()).await,
        Err(ExecError::EmptyArgv)
    ));
    assert!(matches!(
        run(&Invocation::shell("  ", BTreeMap::new()), &fast()).await,
        Err(ExecError::MissingScript)
    ));
}

#[tokio::test]
async fn a_steps_own_timeout_is_used() {
    let mut s = argv_step(&["sleep", "5"]);
    s.timeout = Some(flightdeck::time::SignedDuration::from_millis(200));
    let inv = Invocation::from_step(&s, &BTreeMap::new(), &BTreeMap::new()).unwrap();
    assert_eq!(inv.timeout, Some(Duration::from_millis(200)));
    // The step's 200 ms ended it, not the 5 s sleep.
    let r = run(&inv, &fast()).await.unwrap();
    assert!(r.timed_out);
    assert_eq!(r.signal, Some(libc::SIGTERM));
}
