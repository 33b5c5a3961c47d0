//! Who sits at this cockpit, one answer everywhere (the TUI header, journal records, the
//! drill's debrief): `$USER`, else `$LOGNAME`, else the name of the process's uid in the user
//! database (getpwuid_r), else `unknown-<uid>`. Never a made-up "you".

/// The user's name (see the module doc for the order).
pub fn user_name() -> String {
    name_from(|k| std::env::var(k).ok(), uid_name, current_uid())
}

/// The first non-blank of `$USER`, `$LOGNAME`, the uid's name, else `unknown-<uid>`.
pub fn name_from(
    env: impl Fn(&str) -> Option<String>,
    lookup: impl Fn(u32) -> Option<String>,
    uid: u32,
) -> String {
    let given = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    given(env("USER"))
        .or_else(|| given(env("LOGNAME")))
        .or_else(|| given(lookup(uid)))
        .unwrap_or_else(|| format!("unknown-{uid}"))
}

pub fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The login name of `uid` in the user database (`/etc/passwd`, NSS), if it has one.
pub fn uid_name(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    loop {
        // SAFETY: `pwd` and `result` are written by getpwuid_r; `buf` outlives their use and its
        // length is passed; the name is copied out before `buf` is dropped.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: pw_name points to a NUL-terminated string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        return Some(name.to_string_lossy().into_owned()).filter(|n| !n.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_then_logname_then_the_uid_name_then_unknown() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let db = |_: u32| Some("db-name".to_string());
        let none = |_: u32| None;
        assert_eq!(
            name_from(env(&[("USER", "ana"), ("LOGNAME", "x")]), db, 5),
            "ana"
        );
        assert_eq!(
            name_from(env(&[("USER", " "), ("LOGNAME", "lee")]), db, 5),
            "lee"
        );
        assert_eq!(name_from(env(&[]), db, 5), "db-name");
        assert_eq!(name_from(env(&[]), none, 1234), "unknown-1234");
    }

    #[test]
    fn the_uid_of_this_process_has_a_name_in_the_user_database() {
        // root (uid 0) is in every user database.
        assert_eq!(uid_name(0).as_deref(), Some("root"));
        assert_eq!(uid_name(u32::MAX - 7), None);
    }
}
