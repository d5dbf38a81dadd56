//! The wire layouts of the config's record types, as the module docs table them: how a
//! [`List`] of each is framed and written.

use core::ffi::CStr;
use core::marker::PhantomData;

use crate::config::{
    Delegate, IdMap, LandlockPath, LandlockPort, Limit, Mount, MountKind, Rlimit, Strings, Upper,
};
use crate::list::{List, Record};

/// Bits of a [`Delegate`] record's flags byte.
const ENABLE_CONTROLLERS: u8 = 1;
const OWNED: u8 = 2;

/// The length of a [`Delegate`] record before its path, from its flags byte: the flags, and
/// the owner if it has one. `None` for unknown flags.
pub(crate) fn delegate_head_len(flags: u8) -> Option<usize> {
    match flags & !ENABLE_CONTROLLERS {
        0 => Some(1),
        OWNED => Some(9),
        _ => None,
    }
}

impl<'a> Record<'a> for Delegate<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Delegate<'a>, &'a [u8])> {
        let flags = *bytes.first()?;
        let (head, rest) = bytes.split_at_checked(delegate_head_len(flags)?)?;
        let owner = match head {
            [_, u0, u1, u2, u3, g0, g1, g2, g3] => Some((
                u32::from_le_bytes([*u0, *u1, *u2, *u3]),
                u32::from_le_bytes([*g0, *g1, *g2, *g3]),
            )),
            _ => None,
        };
        let (path, rest) = <&CStr>::split(rest)?;
        let enable_controllers = flags & ENABLE_CONTROLLERS != 0;
        let delegate = Delegate {
            path,
            owner,
            enable_controllers,
        };
        Some((delegate, rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        let enable = if self.enable_controllers {
            ENABLE_CONTROLLERS
        } else {
            0
        };
        let owned = if self.owner.is_some() { OWNED } else { 0 };
        put(&[enable | owned]);
        if let Some((uid, gid)) = self.owner {
            put(&uid.to_le_bytes());
            put(&gid.to_le_bytes());
        }
        put(self.path.to_bytes_with_nul());
    }
}

impl<'a> Record<'a> for Limit<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Limit<'a>, &'a [u8])> {
        let (cgroup, rest) = <&CStr>::split(bytes)?;
        let (file, rest) = <&CStr>::split(rest)?;
        let (value, rest) = <&CStr>::split(rest)?;
        Some((
            Limit {
                cgroup,
                file,
                value,
            },
            rest,
        ))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        for string in [self.cgroup, self.file, self.value] {
            put(string.to_bytes_with_nul());
        }
    }
}

/// An [`Rlimit`] record's length.
const RLIMIT_LEN: usize = 17;

impl Rlimit {
    pub(crate) fn from_wire(bytes: &[u8; RLIMIT_LEN]) -> Rlimit {
        let [
            resource,
            s0,
            s1,
            s2,
            s3,
            s4,
            s5,
            s6,
            s7,
            h0,
            h1,
            h2,
            h3,
            h4,
            h5,
            h6,
            h7,
        ] = *bytes;
        Rlimit {
            resource,
            soft: u64::from_le_bytes([s0, s1, s2, s3, s4, s5, s6, s7]),
            hard: u64::from_le_bytes([h0, h1, h2, h3, h4, h5, h6, h7]),
        }
    }
}

impl<'a> Record<'a> for Rlimit {
    fn split(bytes: &'a [u8]) -> Option<(Rlimit, &'a [u8])> {
        let (rlimit, rest) = bytes.split_first_chunk::<RLIMIT_LEN>()?;
        Some((Rlimit::from_wire(rlimit), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&[self.resource]);
        put(&self.soft.to_le_bytes());
        put(&self.hard.to_le_bytes());
    }
}

/// An [`IdMap`] record's length.
const ID_MAP_LEN: usize = 12;

impl IdMap {
    pub(crate) fn from_wire(bytes: &[u8; ID_MAP_LEN]) -> IdMap {
        let [i0, i1, i2, i3, o0, o1, o2, o3, c0, c1, c2, c3] = *bytes;
        IdMap {
            inside: u32::from_le_bytes([i0, i1, i2, i3]),
            outside: u32::from_le_bytes([o0, o1, o2, o3]),
            count: u32::from_le_bytes([c0, c1, c2, c3]),
        }
    }
}

impl<'a> Record<'a> for IdMap {
    fn split(bytes: &'a [u8]) -> Option<(IdMap, &'a [u8])> {
        let (map, rest) = bytes.split_first_chunk::<ID_MAP_LEN>()?;
        Some((IdMap::from_wire(map), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        for word in [self.inside, self.outside, self.count] {
            put(&word.to_le_bytes());
        }
    }
}

impl<'a> Record<'a> for LandlockPath<'a> {
    fn split(bytes: &'a [u8]) -> Option<(LandlockPath<'a>, &'a [u8])> {
        let (access, rest) = bytes.split_first_chunk::<8>()?;
        let (path, rest) = <&CStr>::split(rest)?;
        let access = u64::from_le_bytes(*access);
        Some((LandlockPath { access, path }, rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&self.access.to_le_bytes());
        put(self.path.to_bytes_with_nul());
    }
}

/// A [`LandlockPort`] record's length.
pub(crate) const LANDLOCK_PORT_LEN: usize = 10;

impl LandlockPort {
    pub(crate) fn from_wire(bytes: &[u8; LANDLOCK_PORT_LEN]) -> LandlockPort {
        let [a0, a1, a2, a3, a4, a5, a6, a7, p0, p1] = *bytes;
        LandlockPort {
            access: u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]),
            port: u16::from_le_bytes([p0, p1]),
        }
    }
}

impl<'a> Record<'a> for LandlockPort {
    fn split(bytes: &'a [u8]) -> Option<(LandlockPort, &'a [u8])> {
        let (port, rest) = bytes.split_first_chunk::<LANDLOCK_PORT_LEN>()?;
        Some((LandlockPort::from_wire(port), rest))
    }

    fn write(&self, mut put: impl FnMut(&[u8])) {
        put(&self.access.to_le_bytes());
        put(&self.port.to_le_bytes());
    }
}

/// Bits of a [`Mount`] record's flags byte: see the module docs.
const RECURSIVE: u8 = 1;
const SOURCE: u8 = 2;
/// The upper layer, in bits 2 and 3.
const UPPER_SHIFT: u8 = 2;
const UPPER_TMPFS: u8 = 1;
const UPPER_TMPFS_SIZE: u8 = 2;
const UPPER_DIR: u8 = 3;
/// The bits a flags byte may have.
const MOUNT_FLAGS: u8 = 0x0f;
/// The length of a [`Mount`] record's head, before its strings.
pub(crate) const MOUNT_HEAD_LEN: usize = 8;

/// The first `count` strings of `bytes` as a list, and the bytes after them.
fn split_strings(bytes: &[u8], count: u8) -> Option<(Strings<'_>, &[u8])> {
    let mut rest = bytes;
    for _ in 0..count {
        (_, rest) = <&CStr>::split(rest)?;
    }
    let list = List {
        bytes: bytes.get(..bytes.len() - rest.len())?,
        len: usize::from(count),
        record: PhantomData,
    };
    Some((list, rest))
}

impl<'a> Record<'a> for Mount<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Mount<'a>, &'a [u8])> {
        let (head, rest) = bytes.split_first_chunk::<MOUNT_HEAD_LEN>()?;
        let &[kind, flags, a0, a1, a2, a3, options, lower] = head;
        if flags & !MOUNT_FLAGS != 0 {
            return None;
        }
        let kind = *MountKind::ALL.get(usize::from(kind))?;
        let (target, rest) = <&CStr>::split(rest)?;
        let (source, rest) = match flags & SOURCE {
            0 => (None, rest),
            _ => <&CStr>::split(rest).map(|(source, rest)| (Some(source), rest))?,
        };
        let (options, rest) = split_strings(rest, options)?;
        let (lower, rest) = split_strings(rest, lower)?;
        let (upper, rest) = match flags >> UPPER_SHIFT {
            0 => (Upper::Sealed, rest),
            UPPER_TMPFS => (Upper::Tmpfs { size: None }, rest),
            UPPER_TMPFS_SIZE => {
                let (size, rest) = <&CStr>::split(rest)?;
                (Upper::Tmpfs { size: Some(size) }, rest)
            }
            _ => {
                let (upper, rest) = <&CStr>::split(rest)?;
                let (work, rest) = <&CStr>::split(rest)?;
                (Upper::Dir { upper, work }, rest)
            }
        };
        let mount = Mount {
            kind,
            source,
            target,
            attrs: u64::from(u32::from_le_bytes([a0, a1, a2, a3])),
            recursive: flags & RECURSIVE != 0,
            options,
            lower,
            upper,
        };
        Some((mount, rest))
    }

    /// attrs beyond 32 bits are written as all ones, and more than 255 options or layers as
    /// an unknown kind: [`decode`](crate::decode()) refuses both.
    fn write(&self, mut put: impl FnMut(&[u8])) {
        let (Ok(options), Ok(lower)) = (
            u8::try_from(self.options.len()),
            u8::try_from(self.lower.len()),
        ) else {
            put(&[u8::MAX]);
            return;
        };
        let (upper, size, dirs) = match self.upper {
            Upper::Sealed => (0, None, None),
            Upper::Tmpfs { size: None } => (UPPER_TMPFS, None, None),
            Upper::Tmpfs { size } => (UPPER_TMPFS_SIZE, size, None),
            Upper::Dir { upper, work } => (UPPER_DIR, None, Some([upper, work])),
        };
        let recursive = if self.recursive { RECURSIVE } else { 0 };
        let source = if self.source.is_some() { SOURCE } else { 0 };
        let flags = recursive | source | upper << UPPER_SHIFT;
        let attrs = u32::try_from(self.attrs).unwrap_or(u32::MAX).to_le_bytes();
        put(&[self.kind as u8, flags]);
        put(&attrs);
        put(&[options, lower]);
        let strings = [Some(self.target), self.source];
        for string in strings.into_iter().flatten() {
            put(string.to_bytes_with_nul());
        }
        put(self.options.bytes);
        put(self.lower.bytes);
        for string in size.into_iter().chain(dirs.into_iter().flatten()) {
            put(string.to_bytes_with_nul());
        }
    }
}

/// The length of a [`Service`](crate::Service) record's head, before its name: flags, ready
/// fd, stop signal, number of after, five u32 times and the length of the process fields.
pub(crate) const SERVICE_HEAD_LEN: usize = 26;
