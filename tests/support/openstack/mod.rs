//! Fake Nova, Neutron, Glance and Gnocchi (being written).
