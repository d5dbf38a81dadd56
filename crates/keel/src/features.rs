//! The optional parts this keel was built with, its cargo features, as the set the decoder
//! holds a config to and the record `keel-gen inspect --keel` reads (`sys::start` places it
//! in the `.keelfeatures` section).

use keel_wire::Features;

pub const BUILT: Features = Features::NONE
    .with(Features::CGROUP, cfg!(feature = "cgroup"))
    .with(Features::NAMESPACES, cfg!(feature = "namespaces"))
    .with(Features::MOUNTS, cfg!(feature = "mounts"))
    .with(Features::CLASSIC_MOUNTS, cfg!(feature = "classic-mounts"))
    .with(Features::SECURITY, cfg!(feature = "security"))
    .with(Features::SECCOMP, cfg!(feature = "seccomp"))
    .with(Features::LANDLOCK, cfg!(feature = "landlock"))
    .with(Features::SEAL, cfg!(feature = "seal"))
    .with(Features::SERVICES, cfg!(feature = "services"));
