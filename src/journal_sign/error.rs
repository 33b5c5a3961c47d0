//! Why a checkpoint could not be signed, or a signed checkpoint does not check: one variant a
//! cause, each message naming the way out.

use std::path::PathBuf;

use super::{KEY_ENV, NAMESPACE, SignersLineError};

/// Why a checkpoint could not be signed, or a signature not checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key `$FLIGHTDECK_SIGNING_KEY` names does not sign.
    #[error("${env}: {0}", env = KEY_ENV)]
    FromEnv(Box<SignError>),
    /// The key file cannot be read.
    #[error("signing key {shown}: {why}", shown = .path.display())]
    KeyUnread { path: PathBuf, why: String },
    /// An OpenSSH private key file that does not parse.
    #[error("signing key {shown}: not a usable private key: {why}", shown = .path.display())]
    NotAPrivateKey { path: PathBuf, why: String },
    /// An encrypted key file whose key ssh-agent does not hold.
    #[error(
        "signing key {shown} is protected by a passphrase, and flightdeck does not ask \
         for passphrases: load it into ssh-agent (`ssh-add {shown}`, with SSH_AUTH_SOCK \
         naming the agent) and sign again",
        shown = .path.display()
    )]
    Passphrase { path: PathBuf },
    /// A PEM private key (not the OpenSSH format).
    #[error(
        "signing key {shown} is a PEM private key; flightdeck reads OpenSSH-format keys: \
         load it into ssh-agent (`ssh-add {shown}`) and pass its public key file \
         (--key {shown}.pub), or convert it with `ssh-keygen -p -f {shown}`",
        shown = .path.display()
    )]
    PemKey { path: PathBuf },
    /// Neither a private nor a public OpenSSH key.
    #[error(
        "signing key {shown}: neither an OpenSSH private key nor a public key ({why})",
        shown = .path.display()
    )]
    NotAKey { path: PathBuf, why: String },
    /// A public key file, and no ssh-agent to sign with its private key.
    #[error(
        "signing key {shown} is a public key: its private key must be in ssh-agent, but \
         SSH_AUTH_SOCK is not set (start ssh-agent and `ssh-add` the key, or pass the \
         private key file)",
        shown = .path.display()
    )]
    PublicKeyWithoutAgent { path: PathBuf },
    /// ssh-agent does not hold the key of the public key file `path` (`key`: its fingerprint).
    #[error(
        "ssh-agent ({agent}) does not hold the key of {shown} ({key}): `ssh-add` its private key",
        agent = .socket.display(),
        shown = .path.display()
    )]
    AgentLacksKey {
        socket: PathBuf,
        path: PathBuf,
        key: String,
    },
    /// No key given and no ssh-agent.
    #[error(
        "no signing key: pass --key PATH (a private key file, or a public key file \
         whose key ssh-agent holds), set {env}, or start ssh-agent and `ssh-add` \
         your key",
        env = KEY_ENV
    )]
    NoKey,
    /// ssh-agent holds no key.
    #[error(
        "ssh-agent ({agent}) holds no key: `ssh-add` your key, or pass --key PATH",
        agent = .socket.display()
    )]
    AgentEmpty { socket: PathBuf },
    /// ssh-agent holds several keys (each `FINGERPRINT COMMENT`): which one signs?
    #[error(
        "ssh-agent holds {count} keys; say which one signs with --key PATH.pub (or {env}): {list}",
        count = .keys.len(),
        env = KEY_ENV,
        list = .keys.join("; ")
    )]
    AgentHoldsMany { keys: Vec<String> },
    /// Signing with the key file failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// Signing with an RSA key file failed.
    #[error("signing with the RSA key failed: {0}")]
    RsaSigning(String),
    /// ssh-agent did not sign with `key` (its fingerprint).
    #[error(
        "ssh-agent ({agent}) did not sign with {key} ({why}): is the key still \
         loaded (`ssh-add -l`), and was the signature confirmed?",
        agent = .socket.display()
    )]
    AgentRefused {
        socket: PathBuf,
        key: String,
        why: String,
    },
    /// ssh-agent's answer is not a signature.
    #[error("ssh-agent's signature: {0}")]
    AgentSignature(String),
    /// The signature just made does not verify (it is never journaled).
    #[error("the new signature does not verify ({0})")]
    NewSignatureFails(String),
    /// ssh-agent's socket cannot be reached.
    #[error(
        "cannot reach ssh-agent at {agent} (SSH_AUTH_SOCK): {why}",
        agent = .socket.display()
    )]
    AgentUnreachable { socket: PathBuf, why: String },
    /// ssh-agent did not list its keys.
    #[error(
        "ssh-agent at {agent} did not list its keys: {why}",
        agent = .socket.display()
    )]
    AgentUnlisted { socket: PathBuf, why: String },
    /// The journal file could not be read or written.
    #[error("{shown}: {why}", shown = .path.display())]
    Journal { path: PathBuf, why: String },
    /// The signature could not be armored.
    #[error("cannot armor the signature: {0}")]
    Armor(String),
    /// Three tries, and other writers appended each time before the checkpoint was written.
    #[error(
        "{shown}: other writers kept appending while the checkpoint was signed; try again",
        shown = .path.display()
    )]
    KeptAppending { path: PathBuf },
    /// The allowed-signers file cannot be read.
    #[error("allowed signers {shown}: {why}", shown = .path.display())]
    AllowedSignersUnread { path: PathBuf, why: String },
    /// A line of an allowed-signers file (`file:line`) is not one.
    #[error(
        "{file}:{line}: {why} (a line is `PRINCIPALS [OPTIONS] KEYTYPE BASE64 \
         [COMMENT]`, as in ssh-keygen(1) ALLOWED SIGNERS)"
    )]
    AllowedSignersLine {
        file: String,
        line: usize,
        why: SignersLineError,
    },
    /// The signature checkpoint `seq` carries does not check.
    #[error("checkpoint seq {seq}: {why}")]
    Checkpoint { seq: u64, why: CheckpointProblem },
}

/// What is wrong with the signature a checkpoint record carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointProblem {
    #[error("its signature has no sshsig text")]
    NoSshsig,
    #[error("its signature is not an SSH signature ({0})")]
    NotSshsig(String),
    #[error("its body has no head")]
    NoHead,
    /// The message it says it signs is not the one its place in the chain makes.
    #[error("its signature claims to sign {stated:?}, but the record it follows is {expected:?}")]
    OtherMessage { stated: String, expected: String },
    #[error("signed in namespace {0:?}, not {ns:?}", ns = NAMESPACE)]
    Namespace(String),
    /// It names one key (`stated`) and was made by another (`made_by`, a fingerprint).
    #[error("its signature names key {stated:?} but was made by {made_by}")]
    KeyNamed { stated: String, made_by: String },
    /// The signature does not verify over `message`: the record or its signature was altered.
    #[error(
        "the signature by {key} does not verify over {message:?} ({why}): the record or its \
         signature was altered"
    )]
    DoesNotVerify {
        key: String,
        message: String,
        why: String,
    },
    /// The allowed signers do not allow its key (`why`: their refusal).
    #[error("signed by {algorithm} {key}, a key not allowed to sign: {why}")]
    NotAllowed {
        algorithm: String,
        key: String,
        why: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts are those the stringly error gave (each cause's message, word for word).
    #[test]
    fn messages_read_as_before() {
        let path = PathBuf::from("/k/id");
        assert_eq!(
            SignError::Passphrase { path: path.clone() }.to_string(),
            "signing key /k/id is protected by a passphrase, and flightdeck does not ask for \
             passphrases: load it into ssh-agent (`ssh-add /k/id`, with SSH_AUTH_SOCK naming \
             the agent) and sign again"
        );
        assert_eq!(
            SignError::FromEnv(Box::new(SignError::KeyUnread {
                path: path.clone(),
                why: "gone".into()
            }))
            .to_string(),
            "$FLIGHTDECK_SIGNING_KEY: signing key /k/id: gone"
        );
        assert_eq!(
            SignError::AgentHoldsMany {
                keys: vec!["SHA256:a one".into(), "SHA256:b two".into()]
            }
            .to_string(),
            "ssh-agent holds 2 keys; say which one signs with --key PATH.pub (or \
             FLIGHTDECK_SIGNING_KEY): SHA256:a one; SHA256:b two"
        );
        assert_eq!(
            SignError::AgentLacksKey {
                socket: "/run/agent".into(),
                path,
                key: "SHA256:x".into()
            }
            .to_string(),
            "ssh-agent (/run/agent) does not hold the key of /k/id (SHA256:x): `ssh-add` its \
             private key"
        );
        assert_eq!(
            SignError::Checkpoint {
                seq: 7,
                why: CheckpointProblem::Namespace("git".into())
            }
            .to_string(),
            "checkpoint seq 7: signed in namespace \"git\", not \"flightdeck-journal\""
        );
        assert_eq!(
            SignError::Checkpoint {
                seq: 7,
                why: CheckpointProblem::OtherMessage {
                    stated: "j 5:ab".into(),
                    expected: "j 6:cd".into()
                }
            }
            .to_string(),
            "checkpoint seq 7: its signature claims to sign \"j 5:ab\", but the record it \
             follows is \"j 6:cd\""
        );
        assert_eq!(
            SignError::AllowedSignersLine {
                file: "signers".into(),
                line: 3,
                why: SignersLineError::NoKey("bad base64".into())
            }
            .to_string(),
            format!(
                "signers:3: {} (a line is `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`, as \
                 in ssh-keygen(1) ALLOWED SIGNERS)",
                SignersLineError::NoKey("bad base64".into())
            )
        );
    }
}
