//! A real Keystone on loopback (being written).
