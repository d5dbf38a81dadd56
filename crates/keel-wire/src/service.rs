//! The [`Service`] record: framed and checked by the decoder, written by the encoder, so
//! that its layout (tabled under section `0x07` in the module docs) is written down once.

use crate::config::Service;
use crate::features::Features;
use crate::frame::MAX_LEN;
use crate::limits::MAX_SERVICES;
use crate::list::Record;
use crate::{decode, encode};

impl<'a> Record<'a> for Service<'a> {
    fn split(bytes: &'a [u8]) -> Option<(Service<'a>, &'a [u8])> {
        decode::service(bytes, MAX_SERVICES, &mut 0, Features::ALL).ok()
    }

    /// Through a buffer of [`MAX_LEN`] on the stack: the process fields' length comes
    /// before them. A service too long for it is cut short, which `decode` refuses.
    fn write(&self, mut put: impl FnMut(&[u8])) {
        let mut buf = [0; MAX_LEN];
        let len = encode::service(self, &mut buf);
        put(buf.get(..len).unwrap_or(&buf));
    }
}
