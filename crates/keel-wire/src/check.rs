//! The validity checks of strings and id maps that [`decode`](crate::decode()) applies and
//! keel-gen calls too, to report a problem at its place in the TOML.

use crate::config::IdMap;
use crate::limits::{CONTROLLER_NAME_MAX, MOUNT_OPTION_MAX, NAME_MAX, PATH_MAX};

/// What was expected where decoding stopped; the offset is in the `at` cursor.
pub(crate) type Check<T = ()> = Result<T, &'static str>;

/// Checks that `path` is absolute and shorter than [`PATH_MAX`]; `relative` says which
/// path is not.
pub(crate) fn absolute(path: &[u8], relative: &'static str) -> Check {
    match path {
        [b'/', ..] if path.len() < PATH_MAX => Ok(()),
        [b'/', ..] => Err("path longer than PATH_MAX"),
        _ => Err(relative),
    }
}

/// Checks a mount's target: an absolute path shorter than [`PATH_MAX`], without a `..`
/// component.
///
/// `decode` checks the mounts with this function, [`check_mount_option`] and
/// [`check_overlay_size`], and the id maps
/// with [`check_id_map`]; keel-gen calls them too, as it does the cgroup checks below.
pub fn check_mount_target(path: &[u8]) -> Result<(), &'static str> {
    absolute(path, "mount target must be absolute")?;
    // The dots a component starts with, 3 standing for any other start: as in
    // `check_cgroup_path`, the end acts as a last `/`.
    let mut dots = 0;
    for &byte in path.iter().chain(b"/") {
        match byte {
            b'/' if dots == 2 => return Err("mount target has a .. component"),
            b'/' => dots = 0,
            b'.' if dots < 3 => dots += 1,
            _ => dots = 3,
        }
    }
    Ok(())
}

/// Checks a mount option, an fsconfig parameter: `key=value` or `flag`, 1 to
/// [`MOUNT_OPTION_MAX`] bytes, without `,`.
pub fn check_mount_option(option: &[u8]) -> Result<(), &'static str> {
    fsconfig_text(
        option,
        MOUNT_OPTION_MAX,
        "mount option must be key=value or flag: 1 to 255 bytes, without ,",
    )
}

/// Checks an overlay's tmpfs size, its `size=` value: keel passes `size=SIZE` to fsconfig,
/// so 1 to 250 bytes, without `,`.
pub fn check_overlay_size(size: &[u8]) -> Result<(), &'static str> {
    let max = MOUNT_OPTION_MAX - b"size=".len();
    fsconfig_text(size, max, "overlay size must be 1 to 250 bytes, without ,")
}

/// Checks text keel passes to fsconfig: 1 to `max` bytes, without `,`, not starting with `=`.
#[expect(
    clippy::manual_contains,
    reason = "`contains` links memchr into keel: 160 bytes"
)]
fn fsconfig_text(text: &[u8], max: usize, bad: &'static str) -> Check {
    match text {
        [] | [b'=', ..] => Err(bad),
        _ if text.len() > max || text.iter().any(|&b| b == b',') => Err(bad),
        _ => Ok(()),
    }
}

/// Checks a uid or gid map line: `count` is not 0, and neither range overflows a u32.
pub fn check_id_map(map: IdMap) -> Result<(), &'static str> {
    // `None < Some`: the end is a number, past the start.
    let fits = |first: u32| first.checked_add(map.count) > Some(first);
    if fits(map.inside) && fits(map.outside) {
        Ok(())
    } else {
        Err("id map count must be above 0, and first + count at most 2^32 - 1")
    }
}

/// Checks a cgroup path: relative to keel's cgroup, and more (see the module docs).
///
/// `decode` checks the cgroup section's strings with this function and the next three;
/// keel-gen calls them too, to report a problem at its place in the TOML.
pub fn check_cgroup_path(path: &[u8]) -> Result<(), &'static str> {
    if path.len() >= PATH_MAX {
        return Err("path longer than PATH_MAX");
    }
    // One pass, the end acting as a last `/`: slice splitting and comparisons make more code.
    // `len` is the length of the name so far, `dots` whether it is all dots.
    let (mut len, mut dots) = (0, true);
    for i in 0..=path.len() {
        match path.get(i).copied().unwrap_or(b'/') {
            b'/' if len == 0 || dots && len <= 2 => {
                return Err("cgroup path must be relative, without empty, . or .. components");
            }
            b'/' => (len, dots) = (0, true),
            b'\n' => return Err("cgroup name has a newline"),
            _ if len == NAME_MAX => return Err("cgroup name longer than 255 bytes"),
            byte => (len, dots) = (len + 1, dots && byte == b'.'),
        }
    }
    Ok(())
}

/// Checks a controller name: 1 to [`CONTROLLER_NAME_MAX`] of `[a-z0-9_]`.
pub fn check_controller(name: &[u8]) -> Result<(), &'static str> {
    let valid = |&b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    match name.len() {
        1..=CONTROLLER_NAME_MAX if name.iter().all(valid) => Ok(()),
        _ => Err("controller name must be 1 to 64 of [a-z0-9_]"),
    }
}

/// Checks a limit's file: `PREFIX.NAME`, and not one keel writes itself (see the module docs).
#[expect(
    clippy::manual_contains,
    reason = "`contains` links memchr into keel: 160 bytes"
)]
pub fn check_limit_file(file: &[u8]) -> Result<(), &'static str> {
    let dot = file.iter().position(|&b| b == b'.');
    let prefix = dot.and_then(|dot| file.get(..dot)).unwrap_or(file);
    // The dot and at least one byte of NAME.
    let name_len = file.len() - prefix.len();
    if check_controller(prefix).is_err()
        || name_len < 2
        || file.len() > NAME_MAX
        || file.iter().any(|&b| b == b'/')
    {
        return Err("limit file must be PREFIX.NAME, without /");
    }
    // A loop rather than a `match`, which compiles to byte-by-byte comparisons.
    for managed in [
        &b"cgroup.procs"[..],
        b"cgroup.threads",
        b"cgroup.subtree_control",
    ] {
        if file == managed {
            return Err("limit file is one keel writes itself");
        }
    }
    Ok(())
}

/// Checks a limit's value: not empty, without a newline.
#[expect(
    clippy::manual_contains,
    reason = "`contains` links memchr into keel: 160 bytes"
)]
pub fn check_limit_value(value: &[u8]) -> Result<(), &'static str> {
    match value {
        [] => Err("limit value is empty"),
        _ if value.iter().any(|&b| b == b'\n') => Err("limit value has a newline"),
        _ => Ok(()),
    }
}
