//! What hytop knows about instances, independent of any cloud or screen:
//! the model, tags, formatting and cost.

pub mod cost;
pub mod format;
pub mod model;
pub mod tags;
pub mod text;
