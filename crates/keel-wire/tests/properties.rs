//! Properties over random configs: encode then decode round trips, corruption is always detected.

mod common;

use common::*;

proptest! {
    #[test]
    fn encode_then_decode_gives_the_config_back(owned in owned()) {
        let config = owned.config();
        let bytes = encode(&config).unwrap();
        prop_assert_eq!(wire::decode(&bytes), Ok(config));
        // Zero padding after the config is the rest of keel's embedded section.
        let padded = [bytes.as_slice(), &[0; 100]].concat();
        prop_assert_eq!(wire::decode(&padded), Ok(config));
        // The records read back as written.
        if let (Some(cgroup), Some(owned)) = (wire::decode(&bytes).unwrap().cgroup, &owned.cgroup) {
            prop_assert!(cgroup.delegates.iter().eq(owned.delegates()));
            prop_assert!(cgroup.limits.iter().eq(owned.limits()));
            prop_assert_eq!(cgroup.delegates.len(), owned.delegates.len());
            prop_assert_eq!(cgroup.limits.len(), owned.limits.len());
        }
        if let (Some(namespaces), Some(owned)) = (wire::decode(&bytes).unwrap().namespaces, &owned.namespaces) {
            prop_assert!(namespaces.uid_map.iter().eq(owned.uid_map.iter().copied()));
            prop_assert!(namespaces.gid_map.iter().eq(owned.gid_map.iter().copied()));
            prop_assert_eq!(namespaces.uid_map.len(), owned.uid_map.len());
        }
        let process = wire::decode(&bytes).unwrap().process;
        prop_assert!(process.rlimits.iter().eq(owned.rlimits.iter().copied()));
        prop_assert_eq!(process.rlimits.len(), owned.rlimits.len());
        if let (Some(user), Some((_, _, gids))) = (process.user, &owned.user) {
            prop_assert!(user.additional_gids.iter().eq(list::<u32>(gids).iter()));
            prop_assert_eq!(user.additional_gids.len(), gids.len() / 4);
        }
        if let (Some(mounts), Some(owned)) = (wire::decode(&bytes).unwrap().mounts, &owned.mounts) {
            prop_assert!(mounts.entries.iter().eq(owned.entries.iter().map(OwnedMount::mount)));
            prop_assert_eq!(mounts.entries.len(), owned.entries.len());
        }
        // The encoding is canonical.
        prop_assert_eq!(encode(&wire::decode(&bytes).unwrap()).unwrap(), bytes);
    }

    #[test]
    fn a_small_buffer_reports_the_size_needed(owned in owned()) {
        let config = owned.config();
        let needed = encode(&config).unwrap().len();
        let mut small = vec![0; needed - 1];
        prop_assert_eq!(wire::encode(&config, &mut small), Err(EncodeError::BufferTooSmall { needed }));
    }

    #[test]
    fn every_truncation_is_rejected(owned in owned()) {
        let bytes = encode(&owned.config()).unwrap();
        for len in 0..bytes.len() {
            prop_assert!(wire::decode(&bytes[..len]).is_err(), "accepted a config cut to {len} bytes");
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected(owned in owned()) {
        let bytes = encode(&owned.config()).unwrap();
        for bit in 0..bytes.len() * 8 {
            let mut corrupt = bytes.clone();
            corrupt[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(wire::decode(&corrupt).is_err(), "accepted a config with bit {bit} flipped");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        decode_and_reencode(&bytes);
        decode_and_reencode(&sealed(&bytes));
    }

    #[test]
    fn mutated_configs_never_panic(owned in owned(), edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = encode(&owned.config()).unwrap();
        prop_assume!(bytes.len() > HEADER_LEN);
        for (at, byte) in edits {
            let at = at.index(bytes.len() - HEADER_LEN);
            bytes[HEADER_LEN + at] = byte;
        }
        wire::seal(&mut bytes);
        decode_and_reencode(&bytes);
    }

    #[test]
    fn signals_parse_back_from_their_names(signal in signal()) {
        let text = match syntax::signal_name(signal) {
            Some(name) => format!("SIG{name}"),
            None if signal >= syntax::RTMIN => format!("rtmin+{}", signal - syntax::RTMIN),
            None => signal.to_string(),
        };
        prop_assert_eq!(syntax::parse_signal(text.as_bytes()), Some(signal));
        prop_assert_eq!(syntax::parse_signal(signal.to_string().as_bytes()), Some(signal));
    }

    #[test]
    fn exit_code_sets_hold_what_was_inserted(codes in btree_set(any::<u8>(), 0..20)) {
        let mut set = ExitCodes::default();
        codes.iter().for_each(|&code| set.insert(code));
        prop_assert_eq!(set.iter().collect::<Vec<_>>(), codes.into_iter().collect::<Vec<_>>());
    }
}
