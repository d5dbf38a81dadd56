//! The workload's filesystem view, built with the new mount API (fsopen, fsconfig, fsmount,
//! open_tree, mount_setattr, move_mount), so that every mount is complete — attributes and
//! all — before it becomes visible: a read-only bind is never writable for an instant, and
//! a mount that fails half-way was never attached anywhere. Detached mounts are invisible to
//! every mount table, the host's included.
//!
//! In the workload's mount namespace: propagation is made private first (nothing travels back
//! to the host), then the new root (if any) is bound onto itself, each mount is built detached
//! and moved onto its target (resolved inside the new root, so a symlink cannot point it out),
//! masked and read-only paths are applied, and keel pivots into the new root and detaches the
//! old one, so the host paths behind bind sources and overlay layers become unreachable.
//!
//! Overlays:
//! - sealed: lower layers only. Read-only by construction: with no upper layer, remounting
//!   read-write, fspick + reconfigure and mount_setattr cannot make it writable (writes stay
//!   EROFS). Overlayfs needs two lower layers without an upper one, so a single layer gets an
//!   empty, detached tmpfs as the second.
//! - ephemeral: upper and work directories on a detached tmpfs (with a size limit): the writes
//!   vanish with the namespace.
//! - persisted: upper and work directories given by the config: the changes stay there.
//!
//! How the layers reach the kernel across versions is in `overlay`. Without the new mount API
//! (or without mount_setattr, before 5.12) the same view is built with mount(2): `classic`.
//! `build` chooses the `Api` once, before the first mount; the steps are the same for both.
//!
//! Only `overlay` (with `error` and `options`) is here for the `seal` feature alone: the
//! view itself, `view`, is the `mounts` feature, and `classic` the `classic-mounts` one.

#[cfg(feature = "classic-mounts")]
mod classic;
mod error;
#[cfg(feature = "mounts")]
mod layers;
#[cfg(feature = "mounts")]
mod new_api;
mod options;
pub mod overlay;
#[cfg(feature = "mounts")]
mod targets;
#[cfg(feature = "mounts")]
mod view;

#[cfg(feature = "mounts")]
pub use view::build;
