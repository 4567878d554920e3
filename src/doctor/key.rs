//! Check 4: the instance's key pair has a private key here, ssh will use
//! it, and it is the key pair's. "Permission denied (publickey)" has three
//! local causes this finds before ssh is tried: no key file at all, a key
//! file group or others can read (ssh refuses it: "UNPROTECTED PRIVATE KEY
//! FILE"), and the key of another key pair.
//!
//! Only public halves and fingerprints are compared and shown; the private
//! key is read to find its public half and never leaves this module.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use ssh_key::public::{KeyData, RsaPublicKey};
use ssh_key::{Fingerprint, HashAlg, Mpint, PrivateKey, PublicKey};

use crate::cloud::Provider;
use crate::cloud::facts::{FactKind, Facts, KeyPairFacts};
use crate::doctor::{Check, DoctorContext, Finding};

/// Larger than any private key file (an RSA 16384 is ~13 KB): a bigger
/// file is not a key, and is not read whole.
const MAX_KEY_FILE: u64 = 64 * 1024;

pub async fn check(provider: &dyn Provider, ctx: &DoctorContext) -> Finding {
    let Some(key_name) = ctx
        .instance
        .key_name
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Finding::fail(
            Check::Key,
            "the instance was launched without a key pair: you cannot log in by key",
        )
        .with_fix("launch a new instance with a key pair whose private key you have");
    };
    let local = match find(ctx, key_name) {
        Ok(local) => local,
        Err(finding) => return finding,
    };
    if let Some(finding) = too_open(&local) {
        return finding;
    }
    match provider.facts(&ctx.instance, FactKind::KeyPair).await {
        Ok(Facts::KeyPair(cloud)) => judge(key_name, &local, cloud.as_ref()),
        Ok(other) => Finding::unknown(Check::Key, format!("unexpected answer: {other:?}")),
        Err(e) => Finding::unasked(Check::Key, &e),
    }
}

/// A private key file found here, and what could be learnt from it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalKey {
    pub path: PathBuf,
    /// The path as shown, `~/` for the home directory.
    pub shown: String,
    /// Its permission bits, where the platform has them.
    pub mode: Option<u32>,
    /// Its public half, or why it cannot be had.
    pub public: Result<KeyData, String>,
    /// The public half came from `<path>.pub` beside it (the private file
    /// itself did not give it).
    pub from_pub_file: bool,
}

/// Where ssh would find the key of `key_name`: the one file the template,
/// the cloud or `[ssh]` names, else the usual places (the course keeps
/// keys in `~/.aws`).
pub fn candidates(ctx: &DoctorContext, key_name: &str) -> Vec<PathBuf> {
    let home = ctx.home.as_deref();
    if let Some(file) = &ctx.identity_file {
        return vec![ctx.expand(file)];
    }
    let Some(home) = home else {
        return Vec::new();
    };
    vec![
        home.join(".ssh").join(key_name),
        home.join(".ssh").join(format!("{key_name}.pem")),
        home.join(".aws").join(format!("{key_name}.pem")),
    ]
}

fn shown(path: &Path, home: Option<&Path>) -> String {
    match home.and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

/// The first candidate that exists, read; or the finding that says none
/// does (or that it cannot be read).
fn find(ctx: &DoctorContext, key_name: &str) -> Result<LocalKey, Finding> {
    let home = ctx.home.as_deref();
    let tried = candidates(ctx, key_name);
    if tried.is_empty() {
        return Err(Finding::unknown(
            Check::Key,
            "cannot tell where ~ is ($HOME unset): no key file to look for",
        ));
    }
    // A few stats and one small read: not worth a blocking-pool hop.
    for path in &tried {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Finding::fail(
                    Check::Key,
                    format!("cannot read {}: {e}", shown(path, home)),
                ));
            }
        };
        if !meta.is_file() {
            return Err(Finding::fail(
                Check::Key,
                format!("{} is not a file", shown(path, home)),
            ));
        }
        let public = if meta.len() > MAX_KEY_FILE {
            Err(format!(
                "it is {} bytes, too big for a key file",
                meta.len()
            ))
        } else {
            match std::fs::read(path) {
                Ok(bytes) => public_of(&bytes),
                Err(e) => {
                    return Err(Finding::fail(
                        Check::Key,
                        format!("cannot read {}: {e}", shown(path, home)),
                    ));
                }
            }
        };
        let (public, from_pub_file) = match public {
            Ok(key) => (Ok(key), false),
            Err(why) => match pub_file(path) {
                Some(key) => (Ok(key), true),
                None => (Err(why), false),
            },
        };
        return Ok(LocalKey {
            path: path.clone(),
            shown: shown(path, home),
            mode: mode_of(&meta),
            public,
            from_pub_file,
        });
    }
    let names: Vec<String> = tried.iter().map(|p| shown(p, home)).collect();
    let finding = if ctx.identity_file.is_some() {
        Finding::fail(
            Check::Key,
            format!("the key file named for this cloud is missing: {}", names.join(", ")),
        )
        .with_fix(format!(
            "put the private key of key pair '{key_name}' there (chmod 600), or name another identity file"
        ))
    } else {
        Finding::fail(
            Check::Key,
            format!(
                "no private key for key pair '{key_name}' here: tried {}",
                names.join(", ")
            ),
        )
        .with_fix(format!(
            "save the key pair's private key as ~/.aws/{key_name}.pem and chmod 600 it, or name it in the template (identity_file)"
        ))
    };
    Err(finding)
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> Option<u32> {
    None
}

/// ssh refuses a private key group or others may read or write
/// (`(mode & 077) != 0`: "UNPROTECTED PRIVATE KEY FILE!").
pub fn mode_too_open(mode: u32) -> bool {
    mode & 0o077 != 0
}

fn too_open(local: &LocalKey) -> Option<Finding> {
    let mode = local.mode.filter(|m| mode_too_open(*m))?;
    Some(
        Finding::fail(
            Check::Key,
            format!(
                "{} has mode {mode:04o}: ssh refuses a private key that group or others can read",
                local.shown
            ),
        )
        .with_fix(format!("chmod 600 {}", local.path.display())),
    )
}

/// The public key in the `.pub` file beside `path` (`ssh-keygen` writes
/// one; ssh offers it for a key it cannot open).
fn pub_file(path: &Path) -> Option<KeyData> {
    let mut name = path.as_os_str().to_os_string();
    name.push(".pub");
    let text = std::fs::read_to_string(PathBuf::from(name)).ok()?;
    PublicKey::from_openssh(text.trim())
        .ok()
        .map(|k| k.key_data().clone())
}

/// The public half of a private key file: OpenSSH's own format (whose
/// public half is in clear even behind a passphrase), or the PEM RSA keys
/// AWS and Nova hand out (PKCS#1 `BEGIN RSA PRIVATE KEY`, or PKCS#8
/// `BEGIN PRIVATE KEY`), whose modulus and exponent are the public key.
pub fn public_of(bytes: &[u8]) -> Result<KeyData, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not a text key file".to_string())?;
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
        // ssh-key's errors name the format's fault, never the key's bytes.
        return PrivateKey::from_openssh(text)
            .map(|k| k.public_key().key_data().clone())
            .map_err(|e| format!("its OpenSSH key does not parse ({e})"));
    }
    if let Some(body) = pem_body(text, "RSA PRIVATE KEY") {
        if body.encrypted {
            return Err("it is a passphrase-protected PEM key, and has no .pub beside it".into());
        }
        let der = body
            .der
            .map_err(|e| format!("its PEM does not decode ({e})"))?;
        return pkcs1_public(&der).map_err(|e| format!("its RSA key does not parse ({e})"));
    }
    if let Some(body) = pem_body(text, "PRIVATE KEY") {
        let der = body
            .der
            .map_err(|e| format!("its PEM does not decode ({e})"))?;
        return pkcs8_public(&der);
    }
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err("it is a passphrase-protected PKCS#8 key, and has no .pub beside it".into());
    }
    if text.contains("PUBLIC KEY") || text.trim_start().starts_with("ssh-") {
        return Err("it holds a public key, not the private one".into());
    }
    Err("it is not a private key file hytop can read".into())
}

struct PemBody {
    encrypted: bool,
    der: Result<Vec<u8>, base64::DecodeError>,
}

/// The base64 between `-----BEGIN <label>-----` and its END, decoded; the
/// RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`) set apart.
fn pem_body(text: &str, label: &str) -> Option<PemBody> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let mut encrypted = false;
    let mut b64 = String::new();
    for line in text[start..stop].lines().map(str::trim) {
        if let Some((name, value)) = line.split_once(':') {
            encrypted |= name.trim() == "Proc-Type" && value.contains("ENCRYPTED");
        } else {
            b64.push_str(line);
        }
    }
    Some(PemBody {
        encrypted,
        der: base64::engine::general_purpose::STANDARD.decode(b64),
    })
}

/// One DER element: its tag, its contents, and what follows it.
fn der(input: &[u8]) -> Result<(u8, &[u8], &[u8]), &'static str> {
    let (&tag, rest) = input.split_first().ok_or("truncated")?;
    let (&first, rest) = rest.split_first().ok_or("truncated")?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err("bad length");
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err("truncated");
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
/// 1.2.840.113549.1.1.1
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// 1.3.101.112
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn expect(tag: u8, input: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    let (got, contents, rest) = der(input)?;
    if got == tag {
        Ok((contents, rest))
    } else {
        Err("unexpected element")
    }
}

/// PKCS#1 `RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent,
/// ... }`: the first two numbers after the version are the public key.
fn pkcs1_public(der_bytes: &[u8]) -> Result<KeyData, &'static str> {
    let (seq, _) = expect(SEQUENCE, der_bytes)?;
    let (_version, rest) = expect(INTEGER, seq)?;
    let (n, rest) = expect(INTEGER, rest)?;
    let (e, _) = expect(INTEGER, rest)?;
    let n = Mpint::from_positive_bytes(n).map_err(|_| "bad modulus")?;
    let e = Mpint::from_positive_bytes(e).map_err(|_| "bad exponent")?;
    Ok(KeyData::Rsa(RsaPublicKey { e, n }))
}

/// PKCS#8 `PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey }`:
/// an RSA key wraps PKCS#1; an Ed25519 one holds only the seed, whose
/// public half takes curve arithmetic hytop does not carry.
fn pkcs8_public(der_bytes: &[u8]) -> Result<KeyData, String> {
    let parse = || -> Result<(Vec<u8>, Vec<u8>), &'static str> {
        let (seq, _) = expect(SEQUENCE, der_bytes)?;
        let (_version, rest) = expect(INTEGER, seq)?;
        let (algorithm, rest) = expect(SEQUENCE, rest)?;
        let (oid, _) = expect(OID, algorithm)?;
        let (key, _) = expect(OCTET_STRING, rest)?;
        Ok((oid.to_vec(), key.to_vec()))
    };
    let (oid, key) = parse().map_err(|e| format!("its PKCS#8 key does not parse ({e})"))?;
    if oid == RSA_ENCRYPTION {
        pkcs1_public(&key).map_err(|e| format!("its RSA key does not parse ({e})"))
    } else if oid == ED25519 {
        Err("it is an Ed25519 key in PKCS#8 PEM, whose public half needs its .pub file".into())
    } else {
        Err("it is a PKCS#8 key of a kind ssh logins to clouds do not use".into())
    }
}

fn sha256(key: &KeyData) -> Fingerprint {
    Fingerprint::new(HashAlg::Sha256, key)
}

/// The local key against the cloud's key pair; the key file is there and
/// safe (see [`check`]).
pub fn judge(key_name: &str, local: &LocalKey, cloud: Option<&KeyPairFacts>) -> Finding {
    let shown = &local.shown;
    let found = match local.mode {
        Some(mode) => format!("{shown} (mode {mode:04o})"),
        None => shown.clone(),
    };
    let Some(cloud) = cloud else {
        return Finding::unknown(
            Check::Key,
            format!(
                "found {found}, but the cloud no longer knows key pair '{key_name}': cannot compare"
            ),
        );
    };
    let mine = match &local.public {
        Ok(key) => key,
        Err(why) => {
            return Finding::unknown(
                Check::Key,
                format!("found {found}; cannot compare with key pair '{key_name}': {why}"),
            );
        }
    };
    let my_fp = sha256(mine);
    let by = if local.from_pub_file {
        " (by its .pub)"
    } else {
        ""
    };
    let theirs = match cloud.public_key.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => match PublicKey::from_openssh(text) {
            Ok(key) => Ok(sha256(key.key_data())),
            Err(e) => Err(format!(
                "cannot compare: the cloud's public key of '{key_name}' does not parse ({e})"
            )),
        },
        _ => match cloud.fingerprint.as_deref().and_then(sha256_of_text) {
            Some(fp) => Ok(fp),
            None => Err(match cloud.fingerprint.as_deref() {
                Some(fp) => format!(
                    "cannot compare: the cloud gives only the fingerprint {fp} of '{key_name}' (compare it with ssh-keygen -l -E md5 -f {})",
                    local.path.display()
                ),
                None => format!("cannot compare: the cloud gives no public key for '{key_name}'"),
            }),
        },
    };
    match theirs {
        Err(reason) => Finding::unknown(Check::Key, format!("found {found}; {reason}")),
        Ok(theirs) if theirs == my_fp => Finding::pass(
            Check::Key,
            format!("{shown} is the key of key pair '{key_name}'{by} ({my_fp})"),
        ),
        Ok(theirs) => Finding::fail(
            Check::Key,
            format!(
                "{shown} is not the key of key pair '{key_name}'{by}: it is {my_fp}, the cloud's is {theirs}"
            ),
        )
        .with_fix(format!(
            "use the private key saved when '{key_name}' was created (name it in the template: identity_file), or launch with a key pair you have"
        )),
    }
}

/// A fingerprint the cloud wrote as SHA-256 (`SHA256:b64`, or EC2's bare
/// padded base64 for Ed25519 keys); `None` for MD5/SHA-1 hex.
fn sha256_of_text(text: &str) -> Option<Fingerprint> {
    let b64 = text.trim();
    let b64 = b64
        .strip_prefix("SHA256:")
        .unwrap_or(b64)
        .trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64)
        .ok()?;
    let digest: [u8; 32] = bytes.try_into().ok()?;
    Some(Fingerprint::Sha256(digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::CloudError;
    use crate::cloud::unavailable::UnavailableProvider;
    use crate::doctor::Verdict;
    use crate::domain::model::CloudKind;

    // Test-only keys, made with ssh-keygen for these tests and used nowhere
    // else; their fingerprints below are ssh-keygen -l's, so the parsing is
    // checked against OpenSSH itself.
    const ED: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBFsPp/Y3IJRe+g21lZ/aq72liyrkmaTkx9cUk2y6quSwAAAJgKIjPnCiIz
5wAAAAtzc2gtZWQyNTUxOQAAACBFsPp/Y3IJRe+g21lZ/aq72liyrkmaTkx9cUk2y6quSw
AAAEBZAwO/DiLuTkmkU8cAYVeaMVhLbSjq0Q3fnFdEb1Z/hkWw+n9jcglF76DbWVn9qrva
WLKuSZpOTH1xSTbLqq5LAAAAD2h5dG9wLXRlc3Qtb25seQECAwQFBg==
-----END OPENSSH PRIVATE KEY-----
";
    const ED_PUB: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEWw+n9jcglF76DbWVn9qrvaWLKuSZpOTH1xSTbLqq5L hytop-test-only";
    const ED_FP: &str = "SHA256:1pXzwZsJ5hm06zjUha79OugI2Ph2d17rt6+ZsJZKmOA";
    /// Behind the passphrase `test-passphrase`.
    const ED_PASSPHRASE: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDm5/pOve
S3EJRiGJwqkJdAAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIPGqQxNGluhtlUme
y0lgw3gElZ7VMsRkS5IFUWsBLxhrAAAAoBH+PObpm6VOjfOSk60ArW2mRlqcCNOWHkeytv
KzJzJ5+cUG5L68O1G13WMBbhOIJXNLKe4meMUAb+cn0Z24H6jx27KIoVDTRhuVHjCP+cLS
cgmZH0o+N3NDZe8WJJ0HE8tNoXK0oycSjq5c357X6Q0cTYQOjkTyY7luc7vhwC3dtFTXyA
QNLNcMyGmJ1MjCn6704uIjs8sm9n4E6fsHNNI=
-----END OPENSSH PRIVATE KEY-----
";
    const ED_PASSPHRASE_FP: &str = "SHA256:d0EimmeiJEfVyWc+7E2DKGptfcP6wi9Y1FxLxOUYUr4";
    const OTHER_PUB: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO/S7Q/1myR633aS3gnEbNIU2wiquvrN/MrYw0InssK9 hytop-test-only-other";
    const OTHER_FP: &str = "SHA256:pdsp5JXhMH0BFVxdA8VMGbfXkL3yrQnbBDUtob3obLU";
    const RSA_OPENSSH: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAlwAAAAdzc2gtcn
NhAAAAAwEAAQAAAIEAkcpC7HfBj743BFICDLb82tUaDwqYGp9PAB6mj0tXiW9FhS7jsl9q
9Gwdl/tXpeMO9tbUT87ScLW216jBBGMh7Jqck94dGfy6cvLoQN3KfVHrwoBcj56EM/fBCk
A5KALiBwcxAUKjHVXZTQON17qLoim1kWwc8iGO3eC2d2ZdSg0AAAIIg5rYWIOa2FgAAAAH
c3NoLXJzYQAAAIEAkcpC7HfBj743BFICDLb82tUaDwqYGp9PAB6mj0tXiW9FhS7jsl9q9G
wdl/tXpeMO9tbUT87ScLW216jBBGMh7Jqck94dGfy6cvLoQN3KfVHrwoBcj56EM/fBCkA5
KALiBwcxAUKjHVXZTQON17qLoim1kWwc8iGO3eC2d2ZdSg0AAAADAQABAAAAgFFOokBLEb
Je/UP1kJsSurY4vw3AdM/0JRUGAxJLjIhjfDwoyGhEetvSKDcIv/sORNw5N7NCv26IiW6A
+RS/TL1Wh60uWuYAu/10767nqyK2I2RBQeBNkPqcXLlOfMd7B+NFZT8fCQdoJ4ZE1wd8Cb
4yhU1lZkmeWlAp10IuHXypAAAAQQCucwhAQtfgni7bqfZNM09XJzgdk+MvBKxmOnNpre/n
56F18UaVSTLADhE5AC45H+motJ67FhEbH90LxCC3Gi4CAAAAQQDCKvlwOvBKNHJ36wPMrH
zIFHkDDTYIgyj6Xs4CrMhaXGSw6upbzu8ql9EphnQ4aMVDcHVcA6OZUrrjyvpFc7LfAAAA
QQDAN2pIZZ0HjaYmJcPxQyKciowfOtvogOFumkxpUslA5MoubkoV7/gzeNrzaqmgPseTwE
jM2QCAgLszOEDs+OyTAAAAD2h5dG9wLXRlc3Qtb25seQECAw==
-----END OPENSSH PRIVATE KEY-----
";
    const RSA_OPENSSH_FP: &str = "SHA256:CzPzFpppvLtxiKgYXkJzjI4qvH/MAOBHSl5pTIKooOs";
    /// As AWS and Nova hand them out: PKCS#1 PEM (`ssh-keygen -m PEM`).
    const RSA_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAwMkGS34Yjnlx3Sda3F8IinPJj+Cj8DUt2nzSWSay9IcfoeMR
TwU7M3nOnNnesGFdJSEjobGm9kD+P7RrQpZ/K5AiHV9hZ+4yj2I4wQNVwV3ss7/R
7uh3mf4RXvWhxXJG78cjZe45i0R8IRAbZJ4d5gC70kJk1e477BHo8IE+pn4iiZmx
jG+TqJ5jqSHzsPabX/XlzLheMUBLrfs0KH5sNcLdjiWCyAyU5S/zVCM3TCwo5DpP
EFPzPMrw5eRXhJ8ws+aesZRVJxrmbliSVqLCHl3haaIJ380IH51X4QkEzx8bWeWf
KsCcUnvGvHmKE9dxwM+KDy3TEYZl7PPD4ZSCLQIDAQABAoIBAA/Ita77IzwRBelP
NlF6J2sciUlyIUICvJ8ZnqhFcpvyLz0UJ//iBAOWKrwtW13yDswCL1ZnAu5BCoAB
P9HrG/zfV2ezvjgh6LpUFqT45q3HCKD76M6IcnhldJsjfcv6bAPoOEX5b/Uu1YHo
fXGqv3RsJXSU0ogwcfAFVF7SmiRL5Y8YdcFQKFo4LI1I8To4DwS+ENAUtNPGwQ8d
4pDRt3WGcbuz3lhOxLOygwkjZ1z+Gg3jKnX/fsf6Cb5PAXV5Ss69kK89DoU0BMvO
1azf5S5PeKRm15m+85dlMLgaCCVF7nO4/o+54PW3jN45YzWQteQLCDkuk+Ykx9gO
keQSRVkCgYEA6g1q7OWLGGa7WJBA0u1VzENBKcYwL89NTLNP9lRQ0Bi457PFhJIy
+vVznhRwTxO1iSHndu0WbJPlSQLHux6XceHoi+IFLAO/l4+bMhVl8muik7+5ImzP
cOkdm1UZRZMxGZN7dSmKojQJQ7f9z/v0mLxFuIpimMFOduqeayfCwakCgYEA0tz2
J8rPdRKnGD5FvGL0OwedOQTNMraPHGwjTpbSULtknvRDxTBAJ02JCJuB+vzKr9Z+
k+eOpMESIoh2eM7QNZ3dCbITKXWtrfDHomsr2QcQUysY6YU2nKWvhklSRLA1D2y4
8ZCwjA8t+/YTGh+24pJM52U+QLU2RrtSNk7q1uUCgYB/uy7ddjBA8t/PZ3pZInku
bo3DdIubq/CtqTY8Yqtvxe4zVSK4ROlZmFausMzR+xmZa01c0+rm+pepDsFd10Yj
Onykyoa0DJ+k4RR7cr4eXKtvIrSwmt1i63Xi7cBK/hdPs/Mub6te9jMQJ/t2ZDSK
nkUWfz9ryiM+NrCaHirlcQKBgBs8YSsYnh1AEIcoG/fOTD+Hpz4jKaIARJHmQdU3
0+iLm96QLGS+67pn4GhVNb/GgSOfL/BIu3r6WS5OtAa8p9YVEuTatHDpe0p5TD/l
Wd+JcwlbCre29ivblsVgmRi4LdJVN7oz9ynQGB9wVF1OdV/kh7xnrlfLUDxom6Da
JqklAoGADBxDYIiMD11J6wzOo+UynoZERfhK/nUV4XTdYXfzB6eTxPo4vinGjBRY
DXQTv4PltPH9+qOpN8cK8CbAHjJ2k5M2+0wrn3Rdh/+imRweIvArFZI7tWS3sD/m
P/ne99Glc+ig81PDrZWOWBRhS2OXWQtsqd4y3ee4v7LpCu6Sxro=
-----END RSA PRIVATE KEY-----
";
    const RSA_PEM_PUB: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDAyQZLfhiOeXHdJ1rcXwiKc8mP4KPwNS3afNJZJrL0hx+h4xFPBTszec6c2d6wYV0lISOhsab2QP4/tGtCln8rkCIdX2Fn7jKPYjjBA1XBXeyzv9Hu6HeZ/hFe9aHFckbvxyNl7jmLRHwhEBtknh3mALvSQmTV7jvsEejwgT6mfiKJmbGMb5OonmOpIfOw9ptf9eXMuF4xQEut+zQofmw1wt2OJYLIDJTlL/NUIzdMLCjkOk8QU/M8yvDl5FeEnzCz5p6xlFUnGuZuWJJWosIeXeFpognfzQgfnVfhCQTPHxtZ5Z8qwJxSe8a8eYoT13HAz4oPLdMRhmXs88PhlIIt hytop-test-only";
    const RSA_PEM_FP: &str = "SHA256:TK+MaWS4T81EFnR0HYj2W2l9IdomeFZcmPFig4hUe/o";

    fn fp(bytes: &str) -> String {
        sha256(&public_of(bytes.as_bytes()).expect("a public half")).to_string()
    }

    #[test]
    fn public_halves_match_ssh_keygen() {
        assert_eq!(fp(ED), ED_FP);
        assert_eq!(
            fp(ED_PASSPHRASE),
            ED_PASSPHRASE_FP,
            "in clear behind a passphrase"
        );
        assert_eq!(fp(RSA_OPENSSH), RSA_OPENSSH_FP);
        assert_eq!(fp(RSA_PEM), RSA_PEM_FP);
        let pem_pub = PublicKey::from_openssh(RSA_PEM_PUB).expect("pub");
        assert_eq!(
            &public_of(RSA_PEM.as_bytes()).expect("pem"),
            pem_pub.key_data(),
            "the same blob ssh-keygen -y gives"
        );
    }

    /// PKCS#8 around the PKCS#1 key, as `openssl pkcs8 -topk8 -nocrypt`
    /// writes it.
    fn pkcs8(oid: &[u8], inner: &[u8]) -> String {
        fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            let len = body.len();
            if len < 0x80 {
                out.push(len as u8);
            } else {
                out.extend([0x82, (len >> 8) as u8, len as u8]);
            }
            out.extend_from_slice(body);
            out
        }
        let algorithm = [tlv(OID, oid), vec![0x05, 0x00]].concat();
        let info = [
            tlv(INTEGER, &[0]),
            tlv(SEQUENCE, &algorithm),
            tlv(OCTET_STRING, inner),
        ]
        .concat();
        let b64 = base64::engine::general_purpose::STANDARD.encode(tlv(SEQUENCE, &info));
        format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
    }

    #[test]
    fn pkcs8_rsa_keys_are_read_and_others_explained() {
        let pkcs1 = pem_body(RSA_PEM, "RSA PRIVATE KEY")
            .expect("pem")
            .der
            .expect("der");
        assert_eq!(fp(&pkcs8(RSA_ENCRYPTION, &pkcs1)), RSA_PEM_FP);
        let ed = public_of(pkcs8(ED25519, &[0x04, 0x20, 1, 2, 3]).as_bytes())
            .expect_err("no curve arithmetic here");
        assert!(ed.contains(".pub"), "{ed}");
    }

    #[test]
    fn unreadable_files_say_why_without_their_contents() {
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,E2B764780F6E1A8EC1B669E85BE6077B\n\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n";
        let why = public_of(encrypted.as_bytes()).expect_err("encrypted");
        assert!(why.contains("passphrase-protected"), "{why}");
        for (text, want) in [
            (ED_PUB, "public key"),
            ("hello", "not a private key"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
                "does not parse",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
                "does not parse",
            ),
        ] {
            let why = public_of(text.as_bytes()).expect_err(text);
            assert!(why.contains(want), "{text}: {why}");
            assert!(!why.contains("MIIB") && !why.contains("AAAA"), "{why}");
        }
        assert!(public_of(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn modes_ssh_accepts() {
        for ok in [0o600, 0o400, 0o700] {
            assert!(!mode_too_open(ok), "{ok:o}");
        }
        for bad in [0o644, 0o640, 0o604, 0o660, 0o666, 0o601] {
            assert!(mode_too_open(bad), "{bad:o}");
        }
    }

    fn local(key: &str) -> LocalKey {
        LocalKey {
            path: PathBuf::from("/home/s/.aws/lab-key.pem"),
            shown: "~/.aws/lab-key.pem".into(),
            mode: Some(0o600),
            public: public_of(key.as_bytes()),
            from_pub_file: false,
        }
    }

    fn cloud(public_key: Option<&str>, fingerprint: Option<&str>) -> KeyPairFacts {
        KeyPairFacts {
            name: "lab-key".into(),
            public_key: public_key.map(str::to_string),
            fingerprint: fingerprint.map(str::to_string),
        }
    }

    #[test]
    fn the_clouds_public_key_decides() {
        let same = judge("lab-key", &local(ED), Some(&cloud(Some(ED_PUB), None)));
        assert_eq!(same.verdict, Verdict::Pass, "{}", same.reason);
        assert!(same.reason.contains(ED_FP), "{}", same.reason);
        let rsa = judge(
            "lab-key",
            &local(RSA_PEM),
            Some(&cloud(Some(RSA_PEM_PUB), None)),
        );
        assert_eq!(rsa.verdict, Verdict::Pass, "{}", rsa.reason);

        let other = judge("lab-key", &local(ED), Some(&cloud(Some(OTHER_PUB), None)));
        assert_eq!(other.verdict, Verdict::Fail);
        assert!(
            other.reason.contains(ED_FP) && other.reason.contains(OTHER_FP),
            "{}",
            other.reason
        );
        assert!(other.fix.is_some());
        let passphrase = judge(
            "lab-key",
            &local(ED_PASSPHRASE),
            Some(&cloud(Some(OTHER_PUB), None)),
        );
        assert_eq!(passphrase.verdict, Verdict::Fail);
        for f in [&same, &rsa, &other, &passphrase] {
            assert!(!f.reason.contains("PRIVATE") && !f.reason.contains("b3BlbnNzaC1rZXkt"));
        }
    }

    #[test]
    fn fingerprints_alone_compare_when_sha256() {
        let bare = ED_FP.trim_start_matches("SHA256:").to_string() + "=";
        for written in [ED_FP.to_string(), bare] {
            let f = judge("lab-key", &local(ED), Some(&cloud(None, Some(&written))));
            assert_eq!(f.verdict, Verdict::Pass, "{written}: {}", f.reason);
        }
        let wrong = judge("lab-key", &local(ED), Some(&cloud(None, Some(OTHER_FP))));
        assert_eq!(wrong.verdict, Verdict::Fail);
        let md5 = "1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca";
        let f = judge("lab-key", &local(ED), Some(&cloud(None, Some(md5))));
        assert_eq!(f.verdict, Verdict::Unknown);
        assert!(
            f.reason.contains("cannot compare") && f.reason.contains(md5),
            "{}",
            f.reason
        );
        let none = judge("lab-key", &local(ED), Some(&cloud(None, None)));
        assert_eq!(none.verdict, Verdict::Unknown);
    }

    #[test]
    fn what_cannot_be_compared_is_a_question() {
        let gone = judge("lab-key", &local(ED), None);
        assert_eq!(gone.verdict, Verdict::Unknown);
        assert!(gone.reason.contains("no longer knows"), "{}", gone.reason);
        let garbled = judge(
            "lab-key",
            &local(ED),
            Some(&cloud(Some("ssh-ed25519 !!"), None)),
        );
        assert_eq!(garbled.verdict, Verdict::Unknown);
        let unreadable = LocalKey {
            public: Err("it is a passphrase-protected PEM key".into()),
            ..local(ED)
        };
        let f = judge("lab-key", &unreadable, Some(&cloud(Some(ED_PUB), None)));
        assert_eq!(f.verdict, Verdict::Unknown);
        assert!(f.reason.contains("cannot compare"), "{}", f.reason);
    }

    fn ctx(home: &Path, key_name: Option<&str>) -> DoctorContext {
        let mut instance = crate::testutil::instance("i-0abc", "web");
        instance.key_name = key_name.map(str::to_string);
        DoctorContext {
            instance,
            cloud_label: "default/eu-west-1".into(),
            login_user: None,
            identity_file: None,
            default_user: "ec2-user".into(),
            service_ports: Vec::new(),
            health_url: None,
            home: Some(home.to_path_buf()),
            console_lines: 500,
            probe_timeout: std::time::Duration::from_secs(1),
        }
    }

    fn write_key(path: &Path, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn down() -> UnavailableProvider {
        UnavailableProvider::new(CloudKind::Aws, "x", CloudError::message("down"))
    }

    #[tokio::test]
    async fn no_key_pair_means_no_key_login() {
        let home = tempfile::tempdir().expect("tempdir");
        for name in [None, Some(""), Some("  ")] {
            let f = check(&down(), &ctx(home.path(), name)).await;
            assert_eq!(f.verdict, Verdict::Fail);
            assert!(
                f.reason.contains("you cannot log in by key"),
                "{}",
                f.reason
            );
            assert!(!f.unasked);
        }
    }

    #[tokio::test]
    async fn a_missing_key_names_every_place_tried() {
        let home = tempfile::tempdir().expect("tempdir");
        let f = check(&down(), &ctx(home.path(), Some("lab-key"))).await;
        assert_eq!(f.verdict, Verdict::Fail);
        for tried in [
            "~/.ssh/lab-key,",
            "~/.ssh/lab-key.pem",
            "~/.aws/lab-key.pem",
        ] {
            assert!(f.reason.contains(tried), "{tried}: {}", f.reason);
        }
        let mut named = ctx(home.path(), Some("lab-key"));
        named.identity_file = Some(PathBuf::from("~/keys/course.pem"));
        let f = check(&down(), &named).await;
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(f.reason.contains("~/keys/course.pem"), "{}", f.reason);
        assert!(
            !f.reason.contains(".aws"),
            "only the named file: {}",
            f.reason
        );
    }

    #[tokio::test]
    async fn a_readable_key_fails_with_chmod() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = home.path().join(".aws/lab-key.pem");
        write_key(&path, RSA_PEM, 0o640);
        let f = check(&down(), &ctx(home.path(), Some("lab-key"))).await;
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(f.reason.contains("mode 0640"), "{}", f.reason);
        assert!(f.reason.contains("~/.aws/lab-key.pem"), "{}", f.reason);
        assert_eq!(f.fix, Some(format!("chmod 600 {}", path.display())));
        assert!(!f.unasked, "decided here, before the cloud is asked");
    }

    #[tokio::test]
    async fn a_safe_key_asks_the_cloud() {
        let home = tempfile::tempdir().expect("tempdir");
        write_key(&home.path().join(".ssh/lab-key"), ED, 0o600);
        // Also one in ~/.aws: ~/.ssh comes first, as ssh's -i would be given.
        write_key(&home.path().join(".aws/lab-key.pem"), RSA_PEM, 0o644);
        let f = check(&down(), &ctx(home.path(), Some("lab-key"))).await;
        assert!(f.unasked, "{f:?}");
        assert_eq!(f.verdict, Verdict::Unknown);

        let found = find(&ctx(home.path(), Some("lab-key")), "lab-key").expect("found");
        assert_eq!(found.shown, "~/.ssh/lab-key");
        assert_eq!(found.mode, Some(0o600));
        assert_eq!(
            sha256(found.public.as_ref().expect("public")).to_string(),
            ED_FP
        );
    }

    #[tokio::test]
    async fn a_pub_file_stands_in_for_an_unreadable_key() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = home.path().join("keys/course.pem");
        write_key(
            &path,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n",
            0o400,
        );
        let mut named = ctx(home.path(), Some("lab-key"));
        named.identity_file = Some(path.clone());
        let without = find(&named, "lab-key").expect("found");
        assert!(without.public.is_err());
        std::fs::write(home.path().join("keys/course.pem.pub"), RSA_PEM_PUB).expect("pub");
        let with = find(&named, "lab-key").expect("found");
        assert!(with.from_pub_file);
        let f = judge("lab-key", &with, Some(&cloud(Some(RSA_PEM_PUB), None)));
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.reason);
        assert!(f.reason.contains("by its .pub"), "{}", f.reason);
    }
}
