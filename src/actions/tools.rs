//! The tools flightdeck knows, in one table: which calls of each only read (the read-only
//! classifier that makes a step a diagnostic), and which are taken as candidate steps from a
//! runbook's inline code spans. A tool not in the table never reads only (the strict guess).
//!
//! Size: about 560 lines of code and 50 of tests, most of it the table and one small judge per
//! tool family; splitting it would split the table.

use super::step::StepKind;

/// Guesses whether a command only reads. Unknown commands are mitigations (the strict guess).
pub fn guess_kind(argv: &[String]) -> StepKind {
    if is_read_only(argv) {
        StepKind::Diagnostic
    } else {
        StepKind::Mitigation
    }
}

/// A script is diagnostic only if each of its commands (split at newlines, `|`, `&&`, `||`, `;`)
/// reads only and nothing is redirected into a file.
pub fn guess_script_kind(script: &str) -> StepKind {
    let writes = script.contains(">") && !script.contains("2>&1") || script.contains("tee ");
    // A substitution runs a command the split below cannot see (`echo $(rm -rf x)`).
    let hidden = script.contains("$(") || script.contains('`') || script.contains("<(");
    if writes || hidden {
        return StepKind::Mitigation;
    }
    let all_read = script
        .split(['\n', '|', ';', '&'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .all(|c| {
            let words: Vec<String> = c
                .split_whitespace()
                .map(|w| w.trim_matches(|ch| ch == '"' || ch == '\'').to_string())
                .collect();
            is_read_only(&words) || is_filter(&words)
        });
    if all_read {
        StepKind::Diagnostic
    } else {
        StepKind::Mitigation
    }
}

/// Text filters that may follow a read in a pipeline.
fn is_filter(words: &[String]) -> bool {
    let Some(first) = words.first() else {
        return false;
    };
    match first.as_str() {
        "sed" => !words.iter().any(|w| w.starts_with("-i")),
        "xargs" => {
            let rest: Vec<String> = words[1..]
                .iter()
                .filter(|w| !w.starts_with('-'))
                .cloned()
                .collect();
            is_read_only(&rest)
        }
        "grep" | "egrep" | "awk" | "sort" | "uniq" | "head" | "tail" | "wc" | "jq" | "yq"
        | "cut" | "column" | "less" | "more" | "tr" | "echo" => true,
        _ => false,
    }
}

/// A tool call as the table judges it: the program (without its path), its arguments and
/// its first non-option argument.
struct Call<'a> {
    prog: &'a str,
    args: &'a [&'a str],
    sub: Option<&'a str>,
}

/// One tool of the table.
struct Tool {
    name: &'static str,
    /// Inline code spans starting with it are taken as candidate steps (a runbook without
    /// shell blocks often writes `` `kubectl -n $NS describe pod $POD` `` in a sentence).
    inline: bool,
    /// Whether this call only reads.
    reads: fn(&Call<'_>) -> bool,
}

/// Every tool flightdeck knows, by name.
#[rustfmt::skip]
const TOOLS: &[Tool] = &[
    Tool { name: "kubectl", inline: true, reads: kubectl },
    Tool { name: "oc", inline: true, reads: kubectl },
    Tool { name: "k", inline: false, reads: kubectl },
    Tool { name: "curl", inline: true, reads: http },
    Tool { name: "http", inline: false, reads: http },
    Tool { name: "wget", inline: false, reads: http },
    Tool { name: "psql", inline: true, reads: sql },
    Tool { name: "mysql", inline: true, reads: sql },
    Tool { name: "sqlite3", inline: false, reads: sql },
    Tool { name: "clickhouse-client", inline: false, reads: sql },
    Tool { name: "mysqladmin", inline: true, reads: never },
    Tool { name: "redis-cli", inline: true, reads: redis },
    Tool { name: "systemctl", inline: true, reads: systemctl },
    Tool { name: "docker", inline: true, reads: containers },
    Tool { name: "podman", inline: false, reads: containers },
    Tool { name: "crictl", inline: true, reads: containers },
    Tool { name: "nerdctl", inline: false, reads: containers },
    Tool { name: "helm", inline: true, reads: helm },
    Tool { name: "etcdctl", inline: true, reads: etcdctl },
    Tool { name: "amtool", inline: true, reads: amtool },
    Tool { name: "promtool", inline: true, reads: promtool },
    Tool { name: "aws", inline: true, reads: cloud },
    Tool { name: "gcloud", inline: true, reads: cloud },
    Tool { name: "az", inline: true, reads: cloud },
    Tool { name: "sysctl", inline: true, reads: never },
    Tool { name: "journalctl", inline: true, reads: always },
    Tool { name: "dmesg", inline: true, reads: always },
    Tool { name: "df", inline: true, reads: always },
    Tool { name: "du", inline: true, reads: always },
    Tool { name: "free", inline: true, reads: always },
    Tool { name: "top", inline: true, reads: always },
    Tool { name: "htop", inline: false, reads: always },
    Tool { name: "ps", inline: true, reads: always },
    Tool { name: "pgrep", inline: false, reads: always },
    Tool { name: "ss", inline: true, reads: always },
    Tool { name: "netstat", inline: true, reads: always },
    Tool { name: "dig", inline: true, reads: always },
    Tool { name: "nslookup", inline: true, reads: always },
    Tool { name: "host", inline: false, reads: always },
    Tool { name: "ping", inline: false, reads: always },
    Tool { name: "traceroute", inline: false, reads: always },
    Tool { name: "mtr", inline: false, reads: always },
    Tool { name: "cat", inline: false, reads: always },
    Tool { name: "less", inline: false, reads: always },
    Tool { name: "more", inline: false, reads: always },
    Tool { name: "tail", inline: false, reads: always },
    Tool { name: "head", inline: false, reads: always },
    Tool { name: "grep", inline: false, reads: always },
    Tool { name: "egrep", inline: false, reads: always },
    Tool { name: "zgrep", inline: false, reads: always },
    Tool { name: "ls", inline: false, reads: always },
    Tool { name: "uptime", inline: false, reads: always },
    Tool { name: "iostat", inline: true, reads: always },
    Tool { name: "vmstat", inline: true, reads: always },
    Tool { name: "mpstat", inline: false, reads: always },
    Tool { name: "pidstat", inline: false, reads: always },
    Tool { name: "sar", inline: false, reads: always },
    Tool { name: "lsof", inline: true, reads: always },
    Tool { name: "ip", inline: false, reads: ip },
    Tool { name: "ifconfig", inline: false, reads: always },
    Tool { name: "uname", inline: false, reads: always },
    Tool { name: "hostname", inline: false, reads: always },
    Tool { name: "date", inline: false, reads: always },
    Tool { name: "id", inline: false, reads: always },
    Tool { name: "whoami", inline: false, reads: always },
    Tool { name: "stat", inline: false, reads: always },
    Tool { name: "file", inline: false, reads: always },
    Tool { name: "find", inline: false, reads: find },
    Tool { name: "lsblk", inline: false, reads: always },
    Tool { name: "blkid", inline: false, reads: always },
    Tool { name: "findmnt", inline: false, reads: always },
    Tool { name: "mount", inline: false, reads: mount },
    Tool { name: "nc", inline: false, reads: always },
    Tool { name: "openssl", inline: true, reads: openssl },
    Tool { name: "nvidia-smi", inline: false, reads: always },
    Tool { name: "smartctl", inline: false, reads: always },
    Tool { name: "ethtool", inline: false, reads: always },
    Tool { name: "tcpdump", inline: false, reads: always },
    Tool { name: "strace", inline: false, reads: always },
    Tool { name: "iotop", inline: false, reads: always },
    Tool { name: "iftop", inline: false, reads: always },
    Tool { name: "nproc", inline: false, reads: always },
    Tool { name: "lscpu", inline: false, reads: always },
    Tool { name: "getent", inline: false, reads: always },
    Tool { name: "wc", inline: false, reads: always },
    Tool { name: "jq", inline: false, reads: always },
    Tool { name: "echo", inline: false, reads: always },
    Tool { name: "env", inline: false, reads: always },
    Tool { name: "printenv", inline: false, reads: always },
    Tool { name: "w", inline: false, reads: always },
    Tool { name: "last", inline: false, reads: always },
    Tool { name: "nstat", inline: false, reads: always },
    Tool { name: "conntrack", inline: true, reads: conntrack },
    Tool { name: "chronyc", inline: true, reads: chronyc },
    Tool { name: "timedatectl", inline: true, reads: always },
    Tool { name: "ntpq", inline: false, reads: always },
    Tool { name: "pg_isready", inline: false, reads: always },
    Tool { name: "nodetool", inline: true, reads: nodetool },
    Tool { name: "rabbitmqctl", inline: true, reads: rabbitmqctl },
    Tool { name: "kafka-topics", inline: true, reads: kafka },
    Tool { name: "kafka-consumer-groups", inline: true, reads: kafka },
    Tool { name: "vault", inline: false, reads: hashicorp },
    Tool { name: "consul", inline: false, reads: hashicorp },
    Tool { name: "nomad", inline: false, reads: hashicorp },
];

fn tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

/// Whether inline code spans starting with `name` are taken as candidate steps.
pub fn is_inline_tool(name: &str) -> bool {
    tool(name).is_some_and(|t| t.inline)
}

pub(super) fn is_read_only(argv: &[String]) -> bool {
    let mut words: Vec<&str> = argv.iter().map(String::as_str).collect();
    while matches!(
        words.first(),
        Some(&("sudo" | "time" | "watch" | "timeout"))
    ) {
        words.remove(0);
        // `timeout 30s cmd`, `watch -n 5 cmd`
        while words.first().is_some_and(|w| {
            w.starts_with('-') || w.chars().next().is_some_and(|c| c.is_ascii_digit())
        }) {
            words.remove(0);
        }
    }
    let Some((&prog, args)) = words.split_first() else {
        return false;
    };
    let prog = prog.rsplit('/').next().unwrap_or(prog);
    let Some(tool) = tool(prog) else {
        return false;
    };
    // The first argument that is not an option (and not an option's value we can recognise).
    let call = Call {
        prog,
        args,
        sub: subcommand(args),
    };
    (tool.reads)(&call)
}

fn always(_: &Call<'_>) -> bool {
    true
}

fn never(_: &Call<'_>) -> bool {
    false
}

fn kubectl(c: &Call<'_>) -> bool {
    let args = c.args;
    match c.sub.unwrap_or("") {
        "get" | "describe" | "logs" | "top" | "explain" | "version" | "api-resources"
        | "api-versions" | "cluster-info" | "events" | "diff" => true,
        "auth" => args.contains(&"can-i"),
        "rollout" => args.iter().any(|a| *a == "status" || *a == "history"),
        "config" => args.iter().any(|a| {
            matches!(
                *a,
                "view" | "get-contexts" | "current-context" | "get-clusters"
            )
        }),
        "exec" => {
            // `kubectl exec ... -- CMD`: read-only if CMD is.
            let after: Vec<String> = args
                .iter()
                .skip_while(|a| **a != "--")
                .skip(1)
                .map(|s| s.to_string())
                .collect();
            !after.is_empty() && is_read_only(&after)
        }
        _ => false,
    }
}

fn http(c: &Call<'_>) -> bool {
    let args = c.args;
    let writes = args.iter().any(|a| {
        matches!(
            *a,
            "-d" | "--data"
                | "--data-raw"
                | "--data-binary"
                | "-F"
                | "--form"
                | "-T"
                | "--upload-file"
                | "-o"
                | "-O"
                | "--output"
        ) || a.starts_with("--data")
    });
    let method = args
        .windows(2)
        .find(|w| w[0] == "-X" || w[0] == "--request")
        .map(|w| w[1].to_ascii_uppercase())
        .or_else(|| {
            args.iter()
                .find_map(|a| a.strip_prefix("-X").filter(|m| !m.is_empty()))
                .map(str::to_ascii_uppercase)
        });
    c.prog != "wget" && !writes && method.is_none_or(|m| m == "GET" || m == "HEAD")
}

fn sql(c: &Call<'_>) -> bool {
    let statement = c
        .args
        .windows(2)
        .find(|w| {
            matches!(
                w[0],
                "-c" | "-e" | "--command" | "--execute" | "-q" | "--query"
            )
        })
        .map(|w| w[1].trim_start().to_ascii_lowercase());
    statement.is_some_and(|s| {
        ["select", "show", "explain", "\\d", "describe", "with "]
            .iter()
            .any(|p| s.starts_with(p))
            && !s.contains("pg_terminate_backend")
            && !s.contains("pg_cancel_backend")
            && !s.contains(" into ")
    })
}

fn redis(c: &Call<'_>) -> bool {
    let args = c.args;
    let cmd = args
        .iter()
        .find(|a| !a.starts_with('-') && a.chars().all(|c| c.is_ascii_alphabetic()) && a.len() > 2)
        .map(|a| a.to_ascii_lowercase());
    matches!(
        cmd.as_deref(),
        Some(
            "info"
                | "ping"
                | "get"
                | "keys"
                | "scan"
                | "ttl"
                | "llen"
                | "dbsize"
                | "slowlog"
                | "monitor"
                | "memory"
                | "latency"
                | "type"
                | "exists"
                | "hget"
                | "hgetall"
                | "scard"
                | "zcard"
                | "strlen"
        )
    ) && !args.iter().any(|a| a.eq_ignore_ascii_case("reset"))
}

fn systemctl(c: &Call<'_>) -> bool {
    matches!(
        c.sub,
        Some(
            "status"
                | "is-active"
                | "is-enabled"
                | "is-failed"
                | "list-units"
                | "show"
                | "cat"
                | "list-timers"
        )
    )
}

fn containers(c: &Call<'_>) -> bool {
    matches!(
        c.sub,
        Some(
            "ps" | "logs"
                | "inspect"
                | "images"
                | "stats"
                | "top"
                | "info"
                | "version"
                | "events"
                | "port"
        )
    )
}

fn helm(c: &Call<'_>) -> bool {
    matches!(
        c.sub,
        Some(
            "list"
                | "ls"
                | "status"
                | "history"
                | "get"
                | "show"
                | "template"
                | "version"
                | "diff"
                | "search"
                | "lint"
        )
    )
}

fn etcdctl(c: &Call<'_>) -> bool {
    match c.sub {
        Some("get" | "member" | "alarm" | "check" | "version" | "endpoint") => !c
            .args
            .iter()
            .any(|a| matches!(*a, "remove" | "add" | "disarm" | "update" | "defrag")),
        _ => false,
    }
}

fn amtool(c: &Call<'_>) -> bool {
    c.args
        .iter()
        .any(|a| matches!(*a, "query" | "check-config"))
        || matches!(c.sub, Some("config"))
}

fn promtool(c: &Call<'_>) -> bool {
    matches!(c.sub, Some("query" | "check" | "debug"))
}

fn cloud(c: &Call<'_>) -> bool {
    let args = c.args;
    args.iter().any(|a| {
        a.starts_with("describe") || a.starts_with("list") || a.starts_with("get") || *a == "show"
    }) && !args.iter().any(|a| {
        a.starts_with("delete")
            || a.starts_with("update")
            || a.starts_with("create")
            || a.starts_with("put")
            || a.starts_with("set")
            || a.starts_with("reboot")
            || a.starts_with("stop")
            || a.starts_with("start")
    })
}

// Mutating forms of otherwise read-only tools.

fn find(c: &Call<'_>) -> bool {
    !c.args
        .iter()
        .any(|a| matches!(*a, "-delete" | "-exec" | "-execdir"))
}

fn mount(c: &Call<'_>) -> bool {
    c.args.is_empty()
}

fn ip(c: &Call<'_>) -> bool {
    !c.args.iter().any(|a| {
        matches!(
            *a,
            "add" | "del" | "delete" | "set" | "flush" | "change" | "replace"
        )
    })
}

fn conntrack(c: &Call<'_>) -> bool {
    !c.args
        .iter()
        .any(|a| matches!(*a, "-D" | "-F" | "--delete" | "--flush"))
}

fn chronyc(c: &Call<'_>) -> bool {
    c.args
        .iter()
        .any(|a| matches!(*a, "tracking" | "sources" | "sourcestats"))
}

fn nodetool(c: &Call<'_>) -> bool {
    matches!(
        c.sub,
        Some(
            "status"
                | "info"
                | "tpstats"
                | "tablestats"
                | "compactionstats"
                | "netstats"
                | "describecluster"
                | "ring"
                | "gossipinfo"
        )
    )
}

fn rabbitmqctl(c: &Call<'_>) -> bool {
    c.sub
        .is_some_and(|s| s.starts_with("list") || s == "status" || s == "cluster_status")
}

fn kafka(c: &Call<'_>) -> bool {
    let args = c.args;
    args.iter().any(|a| matches!(*a, "--list" | "--describe"))
        && !args
            .iter()
            .any(|a| matches!(*a, "--delete" | "--alter" | "--create" | "--reset-offsets"))
}

fn hashicorp(c: &Call<'_>) -> bool {
    matches!(c.sub, Some("status" | "read" | "list" | "members" | "info"))
        || c.args.contains(&"status")
}

fn openssl(c: &Call<'_>) -> bool {
    matches!(c.sub, Some("s_client" | "x509" | "version"))
}

/// The first non-option argument of `args` (skipping `-n ns`, `--namespace ns`, `-nns` forms).
/// The program and its subcommand as the read-only classifier sees them (`kubectl get`,
/// `curl`), for saying why a command was classified as it was.
pub fn program_and_subcommand(argv: &[String]) -> String {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    let Some((prog, args)) = words.split_first() else {
        return String::new();
    };
    match subcommand(args).filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
        Some(sub) => format!("{prog} {sub}"),
        None => prog.to_string(),
    }
}

fn subcommand<'a>(args: &[&'a str]) -> Option<&'a str> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if a == "--" {
            return None;
        }
        if let Some(flag) = a.strip_prefix("--") {
            // `--namespace ns` (value separate) for the flags we know take one.
            if !flag.contains('=')
                && matches!(
                    flag,
                    "namespace"
                        | "context"
                        | "kubeconfig"
                        | "cluster"
                        | "user"
                        | "server"
                        | "host"
                        | "port"
                        | "endpoints"
                        | "profile"
                        | "region"
                        | "project"
                )
            {
                i += 1;
            }
        } else if a.starts_with('-') && a.len() == 2 {
            if matches!(a, "-n" | "-c" | "-h" | "-p" | "-U" | "-d" | "-s" | "-l") {
                i += 1;
            }
        } else if !a.starts_with('-') {
            return Some(a);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_is_named_once() {
        let mut names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn the_inline_tools_are_the_ones_runbooks_write_in_sentences() {
        let inline: Vec<&str> = TOOLS.iter().filter(|t| t.inline).map(|t| t.name).collect();
        assert_eq!(inline.len(), 40);
        for name in [
            "kubectl",
            "psql",
            "mysqladmin",
            "sysctl",
            "lsof",
            "timedatectl",
        ] {
            assert!(is_inline_tool(name), "{name}");
        }
        for name in ["k", "cat", "vault", "rm", ""] {
            assert!(!is_inline_tool(name), "{name}");
        }
    }

    #[test]
    fn inline_only_tools_never_read_only() {
        let argv = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!is_read_only(&argv(&["sysctl", "-a"])));
        assert!(!is_read_only(&argv(&["mysqladmin", "status"])));
        assert!(is_read_only(&argv(&[
            "sudo",
            "timeout",
            "30s",
            "/usr/bin/kubectl",
            "get",
            "pods"
        ])));
        assert!(!is_read_only(&argv(&["kubectl", "delete", "pod", "x"])));
    }
}
