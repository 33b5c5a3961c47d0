//! Signed journal checkpoints, through the real binary, real keys from `ssh-keygen`, a real
//! `ssh-agent`, and `ssh-keygen -Y verify` as the independent judge of every signature.
//!
//! Needs OpenSSH's client tools (Debian: openssh-client; .ci/run installs it).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use flightdeck::journal::chain::ZERO_HASH;
use flightdeck::journal::{Chain, JournalEntry, JournalRecord, RecordKind, encode_line};
use flightdeck::journal_sign::{self, NAMESPACE, Signer, check_checkpoint, checkpoint_signed};
use flightdeck::journal_store::{JournalFile, read_records, verify_file_with};
use flightdeck::time::Timestamp;
use proptest::prelude::*;
use tempfile::TempDir;

/// `flightdeck ARGS` with no agent and no signing key from the environment, plus `env`.
fn fd(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    cmd.args(args)
        .env_remove("SSH_AUTH_SOCK")
        .env_remove(journal_sign::KEY_ENV)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("flightdeck runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A new key pair from `ssh-keygen` (`-N passphrase`), named `dir/name`.
fn keygen(dir: &Path, name: &str, kind: &str, passphrase: &str) -> PathBuf {
    let path = dir.join(name);
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-t", kind, "-N", passphrase, "-C"])
        .arg(format!("{name}@example.com"))
        .arg("-f")
        .arg(&path)
        .stdin(Stdio::null());
    if kind == "rsa" {
        cmd.args(["-b", "2048"]);
    }
    ok(cmd
        .output()
        .expect("ssh-keygen runs (Debian package openssh-client)"));
    path
}

fn public_line(key: &Path) -> String {
    let mut pub_path = key.as_os_str().to_owned();
    pub_path.push(".pub");
    fs::read_to_string(PathBuf::from(pub_path))
        .unwrap()
        .trim()
        .to_string()
}

/// An allowed-signers file trusting `key` as `principal` for the journal namespace.
fn allowed_signers(dir: &Path, entries: &[(&str, &Path)]) -> PathBuf {
    let path = dir.join("allowed_signers");
    let text: String = entries
        .iter()
        .map(|(who, key)| format!("{who} namespaces=\"{NAMESPACE}\" {}\n", public_line(key)))
        .collect();
    fs::write(&path, text).unwrap();
    path
}

/// `ssh-keygen -Y verify -f ALLOWED -I PRINCIPAL -n flightdeck-journal -s SIG < MESSAGE`.
fn ssh_keygen_verify(allowed: &Path, principal: &str, sig: &Path, message: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", NAMESPACE, "-s"])
        .arg(sig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh-keygen runs");
    child.stdin.take().unwrap().write_all(message).unwrap();
    child.wait_with_output().unwrap()
}

/// What `journal checkpoint --sign` printed.
struct Printed {
    checkpoint: (u64, String),
    signed: (u64, String),
    journal_id: String,
    sig_file: PathBuf,
    armored: String,
}

fn parse_printed(out: &Output) -> Printed {
    let text = stdout(out);
    let mut lines = text.lines();
    let (seq, hash) = lines.next().unwrap().split_once(':').unwrap();
    let checkpoint = (seq.parse().unwrap(), hash.to_string());
    // signed S:H of journal ID with ALG FP (how)
    let signed_line = lines.next().unwrap();
    let words: Vec<&str> = signed_line.split(' ').collect();
    assert_eq!(words[0], "signed", "{text}");
    let (s, h) = words[1].split_once(':').unwrap();
    let sig_file = PathBuf::from(lines.next().unwrap().strip_prefix("signature: ").unwrap());
    let check = lines.next().unwrap();
    assert!(check.starts_with("check: printf"), "{text}");
    let armored: String = lines.map(|l| format!("{l}\n")).collect();
    assert!(
        armored.starts_with("-----BEGIN SSH SIGNATURE-----\n"),
        "{text}"
    );
    Printed {
        checkpoint,
        signed: (s.parse().unwrap(), h.to_string()),
        journal_id: words[4].to_string(),
        sig_file,
        armored,
    }
}

fn journal_with_notes(dir: &Path, n: usize) -> PathBuf {
    let journal = dir.join("journal.jsonl");
    for i in 0..n {
        ok(fd(
            &[
                "journal",
                "note",
                "--journal",
                journal.to_str().unwrap(),
                &format!("note {i}"),
            ],
            &[],
        ));
    }
    journal
}

fn records(journal: &Path) -> Vec<JournalRecord> {
    read_records(journal).unwrap()
}

#[test]
fn key_files_of_every_kind_sign_checkpoints_that_ssh_keygen_verifies_alone() {
    let dir = TempDir::new().unwrap();
    for (kind, who) in [("ed25519", "alice"), ("ecdsa", "bob"), ("rsa", "carol")] {
        let sub = dir.path().join(kind);
        fs::create_dir(&sub).unwrap();
        let key = keygen(&sub, who, kind, "");
        let journal = journal_with_notes(&sub, 3);
        let j = journal.to_str().unwrap();
        let out = ok(fd(
            &[
                "journal",
                "checkpoint",
                "--journal",
                j,
                "--sign",
                "--key",
                key.to_str().unwrap(),
            ],
            &[],
        ));
        let printed = parse_printed(&out);
        let recs = records(&journal);
        let last = recs.last().unwrap();
        assert_eq!(printed.checkpoint, (last.seq, last.hash.clone()));
        let before = &recs[recs.len() - 2];
        assert_eq!(printed.signed, (before.seq, before.hash.clone()), "{kind}");
        assert_eq!(
            printed.journal_id,
            recs[0].body["journal_id"].as_str().unwrap()
        );
        // The record, the side file and the printed text carry the same signature.
        let sig = &last.body["signature"];
        assert_eq!(sig["sshsig"].as_str().unwrap(), printed.armored);
        assert_eq!(
            fs::read_to_string(&printed.sig_file).unwrap(),
            printed.armored
        );
        assert_eq!(
            printed.sig_file,
            PathBuf::from(format!("{j}.sig.d/{}.sig", before.seq))
        );

        // ssh-keygen alone, with the message as docs/FORMATS.md defines it.
        let allowed = allowed_signers(&sub, &[(&format!("{who}@example.com"), &key)]);
        let message = format!("{} {}:{}\n", printed.journal_id, before.seq, before.hash);
        assert_eq!(sig["message"].as_str().unwrap(), message.trim_end());
        let good = ssh_keygen_verify(
            &allowed,
            &format!("{who}@example.com"),
            &printed.sig_file,
            message.as_bytes(),
        );
        assert!(
            good.status.success(),
            "{kind}: ssh-keygen -Y verify: {}{}",
            stdout(&good),
            stderr(&good)
        );
        assert!(
            stdout(&good).contains("Good \"flightdeck-journal\" signature"),
            "{}",
            stdout(&good)
        );
        // ... which is a real check: another record's reference does not verify.
        let other = format!("{} {}:{}\n", printed.journal_id, recs[1].seq, recs[1].hash);
        let bad = ssh_keygen_verify(
            &allowed,
            &format!("{who}@example.com"),
            &printed.sig_file,
            other.as_bytes(),
        );
        assert!(!bad.status.success(), "{kind}: a wrong message verified");

        // flightdeck's own verify agrees, and says who signed what.
        let out = ok(fd(
            &[
                "journal",
                "verify",
                "--journal",
                j,
                "--allowed-signers",
                allowed.to_str().unwrap(),
            ],
            &[],
        ));
        let text = stdout(&out);
        assert!(
            text.contains(&format!(
                "signed: {}:{} (checkpoint seq {}) by {who}@example.com (",
                before.seq, before.hash, last.seq
            )),
            "{text}"
        );
        let out = ok(fd(
            &[
                "journal",
                "verify",
                "--journal",
                j,
                "--allowed-signers",
                allowed.to_str().unwrap(),
                "--json",
            ],
            &[],
        ));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["signers_checked"], true);
        assert_eq!(v["signatures"][0]["checkpoint_seq"], last.seq);
        assert_eq!(
            v["signatures"][0]["principals"][0],
            format!("{who}@example.com")
        );
    }
}

#[test]
fn a_signature_can_be_made_by_ssh_keygen_and_read_by_flightdeck_too() {
    // The other direction: a signature `ssh-keygen -Y sign` makes over the same message is
    // one flightdeck's checker accepts (the two agree on the format, not just on each other).
    let dir = TempDir::new().unwrap();
    let key = keygen(dir.path(), "dana", "ed25519", "");
    let journal = journal_with_notes(dir.path(), 2);
    let recs = records(&journal);
    let head = recs.last().unwrap();
    let msg_path = dir.path().join("msg");
    let message = format!(
        "{} {}:{}\n",
        recs[0].body["journal_id"].as_str().unwrap(),
        head.seq,
        head.hash
    );
    fs::write(&msg_path, &message).unwrap();
    ok(Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(&key)
        .arg(&msg_path)
        .stdin(Stdio::null())
        .output()
        .unwrap());
    let armored = fs::read_to_string(dir.path().join("msg.sig")).unwrap();
    let fp = ssh_key::PublicKey::from_openssh(&public_line(&key))
        .unwrap()
        .fingerprint(ssh_key::HashAlg::Sha256)
        .to_string();
    let mut file = JournalFile::open(&journal).unwrap();
    let mut extra = serde_json::Map::new();
    extra.insert(
        "signature".into(),
        serde_json::json!({"namespace": NAMESPACE, "message": message.trim_end(), "key": fp, "sshsig": armored}),
    );
    file.checkpoint_after(
        (head.seq, &head.hash),
        extra,
        "",
        "dana",
        flightdeck::actions::Role::Oncall,
        Timestamp::now(),
    )
    .unwrap()
    .expect("the head did not move");
    let allowed = allowed_signers(dir.path(), &[("dana@example.com", &key)]);
    let out = ok(fd(
        &[
            "journal",
            "verify",
            "--journal",
            journal.to_str().unwrap(),
            "--allowed-signers",
            allowed.to_str().unwrap(),
        ],
        &[],
    ));
    assert!(
        stdout(&out).contains("by dana@example.com"),
        "{}",
        stdout(&out)
    );
}

/// A real `ssh-agent -D -a SOCK`, killed when dropped.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let sock = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent runs (Debian package openssh-client)");
        let agent = Agent { child, sock };
        let start = Instant::now();
        while !agent.sock.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "ssh-agent did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    /// `ssh-add KEY`, answering a passphrase prompt with `passphrase` through SSH_ASKPASS.
    fn add(&self, key: &Path, passphrase: Option<&str>) {
        let mut cmd = Command::new("ssh-add");
        cmd.arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.sock)
            .stdin(Stdio::null());
        if let Some(p) = passphrase {
            let askpass = self.sock.with_file_name("askpass.sh");
            fs::write(&askpass, format!("#!/bin/sh\necho '{p}'\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&askpass, fs::Permissions::from_mode(0o700)).unwrap();
            cmd.env("SSH_ASKPASS", &askpass)
                .env("SSH_ASKPASS_REQUIRE", "force")
                .env("DISPLAY", ":0");
        }
        ok(cmd.output().expect("ssh-add runs"));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_agent_signs_with_its_key_and_passphrase_keys_go_through_it() {
    let dir = TempDir::new().unwrap();
    let agent = Agent::start(dir.path());
    let sock: &Path = &agent.sock;
    let key = keygen(dir.path(), "erin", "ed25519", "");
    agent.add(&key, None);
    // The private key is gone from disk: only the agent can sign now.
    fs::remove_file(&key).unwrap();
    let journal = journal_with_notes(dir.path(), 2);
    let j = journal.to_str().unwrap();

    // The agent's only key, without --key.
    let out = ok(fd(
        &["journal", "checkpoint", "--journal", j, "--sign"],
        &[("SSH_AUTH_SOCK", sock)],
    ));
    let first = parse_printed(&out);
    assert!(stdout(&out).contains("(ssh-agent)"), "{}", stdout(&out));
    let allowed = allowed_signers(dir.path(), &[("erin@example.com", &key)]);
    let recs = records(&journal);
    let message = format!(
        "{} {}:{}\n",
        first.journal_id, first.signed.0, first.signed.1
    );
    let good = ssh_keygen_verify(
        &allowed,
        "erin@example.com",
        &first.sig_file,
        message.as_bytes(),
    );
    assert!(good.status.success(), "{}", stderr(&good));
    assert_eq!(recs.last().unwrap().seq, first.checkpoint.0);

    // A passphrase-protected key file: refused without the agent, with the way out ...
    let locked = keygen(dir.path(), "frank", "ed25519", "open sesame");
    let out = fd(
        &[
            "journal",
            "checkpoint",
            "--journal",
            j,
            "--sign",
            "--key",
            locked.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("passphrase"), "{}", stderr(&out));
    assert!(stderr(&out).contains("ssh-add"), "{}", stderr(&out));
    assert_eq!(records(&journal).len(), recs.len(), "nothing was written");

    // ... and signed through the agent once it holds the key. Two keys in the agent: --key
    // (or the environment) says which; without it the error lists them.
    agent.add(&locked, Some("open sesame"));
    let out = fd(
        &["journal", "checkpoint", "--journal", j, "--sign"],
        &[("SSH_AUTH_SOCK", sock)],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("holds 2 keys"), "{}", stderr(&out));
    let out = ok(fd(
        &[
            "journal",
            "checkpoint",
            "--journal",
            j,
            "--sign",
            "--key",
            locked.to_str().unwrap(),
        ],
        &[("SSH_AUTH_SOCK", sock)],
    ));
    let second = parse_printed(&out);
    let mut pub_file = locked.as_os_str().to_owned();
    pub_file.push(".pub");
    let out = ok(fd(
        &["journal", "checkpoint", "--journal", j, "--sign"],
        &[
            ("SSH_AUTH_SOCK", sock),
            (journal_sign::KEY_ENV, Path::new(&pub_file)),
        ],
    ));
    let third = parse_printed(&out);
    let both = allowed_signers(
        dir.path(),
        &[("erin@example.com", &key), ("frank@example.com", &locked)],
    );
    for (printed, who) in [
        (&second, "frank@example.com"),
        (&third, "frank@example.com"),
    ] {
        let message = format!(
            "{} {}:{}\n",
            printed.journal_id, printed.signed.0, printed.signed.1
        );
        let good = ssh_keygen_verify(&both, who, &printed.sig_file, message.as_bytes());
        assert!(good.status.success(), "{}", stderr(&good));
    }
    let out = ok(fd(
        &[
            "journal",
            "verify",
            "--journal",
            j,
            "--allowed-signers",
            both.to_str().unwrap(),
        ],
        &[],
    ));
    let text = stdout(&out);
    assert_eq!(text.matches("signed: ").count(), 3, "{text}");
    assert_eq!(text.matches("by frank@example.com").count(), 2, "{text}");

    // An RSA key in the agent signs as rsa-sha2-512 (the agent is asked for it).
    let rsa = keygen(dir.path(), "gwen", "rsa", "");
    agent.add(&rsa, None);
    let mut rsa_pub = rsa.as_os_str().to_owned();
    rsa_pub.push(".pub");
    let out = ok(fd(
        &[
            "journal",
            "checkpoint",
            "--journal",
            j,
            "--sign",
            "--key",
            rsa_pub.to_str().unwrap(),
        ],
        &[("SSH_AUTH_SOCK", sock)],
    ));
    let fourth = parse_printed(&out);
    assert!(stdout(&out).contains("ssh-rsa SHA256:"), "{}", stdout(&out));
    let gwen = allowed_signers(dir.path(), &[("gwen@example.com", &rsa)]);
    let message = format!(
        "{} {}:{}\n",
        fourth.journal_id, fourth.signed.0, fourth.signed.1
    );
    let good = ssh_keygen_verify(
        &gwen,
        "gwen@example.com",
        &fourth.sig_file,
        message.as_bytes(),
    );
    assert!(good.status.success(), "{}", stderr(&good));
    let sig = ssh_key::SshSig::from_pem(&fourth.armored).unwrap();
    assert_eq!(sig.algorithm().as_str(), "rsa-sha2-512");
}

#[test]
fn unknown_keys_wrong_namespaces_and_missing_signatures_fail_verify() {
    let dir = TempDir::new().unwrap();
    let key = keygen(dir.path(), "gus", "ed25519", "");
    let stranger = keygen(dir.path(), "mallory", "ed25519", "");
    let journal = journal_with_notes(dir.path(), 2);
    let j = journal.to_str().unwrap();

    // No checkpoint signed yet: the chain is intact, but no key vouches for anything.
    let allowed = allowed_signers(dir.path(), &[("gus@example.com", &key)]);
    let a = allowed.to_str().unwrap();
    let out = fd(
        &["journal", "verify", "--journal", j, "--allowed-signers", a],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("no checkpoint is signed"),
        "{}",
        stdout(&out)
    );

    // Signed by a key the file does not list.
    ok(fd(
        &[
            "journal",
            "checkpoint",
            "--journal",
            j,
            "--sign",
            "--key",
            stranger.to_str().unwrap(),
        ],
        &[],
    ));
    let out = fd(
        &["journal", "verify", "--journal", j, "--allowed-signers", a],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with("BROKEN: "), "{text}");
    assert!(text.contains("not allowed to sign"), "{text}");
    assert!(text.contains("does not list it"), "{text}");
    // Without --allowed-signers the signature still verifies against its own key, and the
    // output says it was not checked against anyone.
    let out = ok(fd(&["journal", "verify", "--journal", j], &[]));
    assert!(stdout(&out).contains("not checked against allowed signers"));

    // Listed, but only for other namespaces.
    let narrow = dir.path().join("narrow_signers");
    fs::write(
        &narrow,
        format!(
            "mallory@example.com namespaces=\"git,file\" {}\n",
            public_line(&stranger)
        ),
    )
    .unwrap();
    let out = fd(
        &[
            "journal",
            "verify",
            "--journal",
            j,
            "--allowed-signers",
            narrow.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("leave out flightdeck-journal"),
        "{}",
        stdout(&out)
    );
    // ssh-keygen agrees that the key may not sign in this namespace.
    let recs = records(&journal);
    let cp = recs.last().unwrap();
    let sig_file = PathBuf::from(format!("{j}.sig.d/{}.sig", cp.seq - 1));
    let message = format!("{}\n", cp.body["signature"]["message"].as_str().unwrap());
    let out = ssh_keygen_verify(
        &narrow,
        "mallory@example.com",
        &sig_file,
        message.as_bytes(),
    );
    assert!(!out.status.success());

    // An allowed-signers file with a bad line is an error naming the line, before anything.
    let broken = dir.path().join("broken_signers");
    fs::write(&broken, "# ours\ngus@example.com ssh-ed25519 not-a-key\n").unwrap();
    let out = fd(
        &[
            "journal",
            "verify",
            "--journal",
            j,
            "--allowed-signers",
            broken.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("{}:2: ", broken.display())),
        "{}",
        stderr(&out)
    );

    // No key at all: a clear error, and the journal is not touched.
    let fresh = dir.path().join("fresh.jsonl");
    let out = fd(
        &[
            "journal",
            "checkpoint",
            "--journal",
            fresh.to_str().unwrap(),
            "--sign",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no signing key"), "{}", stderr(&out));
    assert!(!fresh.exists());
}

/// Every checkpoint's signature, checked the way `journal verify` checks them.
fn check_all(journal: &Path, allowed: &journal_sign::AllowedSigners) -> Result<usize, String> {
    let mut id = String::new();
    let mut signed = 0;
    let mut problem = None;
    verify_file_with(journal, None, |r| {
        if r.seq == 0 {
            id = r.body["journal_id"].as_str().unwrap().to_string();
        }
        if matches!(r.kind, RecordKind::Checkpoint) && problem.is_none() {
            match check_checkpoint(&r, &id, Some(allowed)) {
                Ok(Some(_)) => signed += 1,
                Ok(None) => {}
                Err(e) => problem = Some(e.to_string()),
            }
        }
    })
    .map_err(|e| format!("chain: {e}"))?;
    match problem {
        Some(p) => Err(p),
        None => Ok(signed),
    }
}

/// The journal at `path` written again from `records` with record `at` edited, every record
/// after it re-sealed — a rewrite by someone who can write the file but holds no key:
/// checkpoint bodies are made to describe the new journal, signatures are copied as they were
/// (with `restate`, their stated message is made to name the new record too).
fn rewrite(path: &Path, records: &[JournalRecord], at: usize, restate: bool, out: &Path) {
    let mut chain = Chain::resume(0, ZERO_HASH.to_string());
    let mut bytes = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let mut entry = JournalEntry {
            actor: r.actor.clone(),
            role: r.role.clone(),
            kind: r.kind,
            summary: r.summary.clone(),
            body: r.body.clone(),
        };
        if i == at {
            entry.summary.push_str(" (edited)");
        }
        if matches!(r.kind, RecordKind::Checkpoint) {
            entry.body["size"] = serde_json::json!(bytes.len());
            entry.body["head"] = serde_json::json!(chain.head());
            if restate && entry.body.get("signature").is_some() {
                let id = records[0].body["journal_id"].as_str().unwrap();
                entry.body["signature"]["message"] =
                    serde_json::json!(format!("{id} {}:{}", i - 1, chain.head()));
            }
        }
        let sealed = chain.seal(entry, r.ts);
        bytes.extend_from_slice(&encode_line(&sealed));
    }
    fs::write(out, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The threat model as an invariant: a rewrite that keeps the chain consistent is caught
    /// exactly when it touches a record some signed checkpoint vouches for (the record the
    /// signature names, or any before it); edits after the last signed checkpoint are not.
    #[test]
    fn a_rewrite_is_caught_iff_a_signed_checkpoint_covers_the_edit(
        notes in 1usize..8,
        signed_after in proptest::collection::vec(0usize..8, 1..3),
        edit in 1usize..12,
        restate in any::<bool>(),
    ) {
        let dir = TempDir::new().unwrap();
        let key = keygen(dir.path(), "hana", "ed25519", "");
        let signer = Signer::from_file(&key, None).unwrap();
        let allowed = journal_sign::AllowedSigners::read(
            &allowed_signers(dir.path(), &[("hana@example.com", &key)]),
        )
        .unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut file = JournalFile::open(&path).unwrap();
        let mut signed_seqs = Vec::new();
        for i in 0..notes {
            file.append(
                JournalEntry {
                    actor: "hana".into(),
                    role: flightdeck::actions::Role::Oncall.into(),
                    kind: RecordKind::Note,
                    summary: format!("note {i}"),
                    body: serde_json::json!({"text": format!("note {i}")}),
                },
                Timestamp::now(),
            )
            .unwrap();
            if signed_after.contains(&i) {
                let s = checkpoint_signed(&mut file, &signer, "hana", flightdeck::actions::Role::Oncall).unwrap();
                signed_seqs.push(s.signed_seq);
            }
        }
        prop_assume!(!signed_seqs.is_empty());
        let recs = records(&path);
        prop_assert_eq!(check_all(&path, &allowed), Ok(signed_seqs.len()));
        let at = edit.min(recs.len() - 1);
        let forged = dir.path().join("forged.jsonl");
        rewrite(&path, &recs, at, restate, &forged);
        let covered = signed_seqs.iter().any(|&s| s >= at as u64);
        let result = check_all(&forged, &allowed);
        if covered {
            let e = result.expect_err("a rewrite under a signature must be caught");
            let says = if restate { "does not verify" } else { "the record it follows is" };
            prop_assert!(e.contains(says), "{}", e);
        } else {
            prop_assert_eq!(result, Ok(signed_seqs.len()));
        }
    }
}
