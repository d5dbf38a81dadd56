//! keel's wire format, shared by the `keel` init (no_std) and the `keel-gen` generator.
//!
//! no_std and no alloc unconditionally: a `std` feature would be unified into the keel build
//! and link std into the init.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod wire;
