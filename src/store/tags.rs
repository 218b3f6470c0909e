//! The `tags` table: one row per (scheme, code, item), replaced whole on every write.

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Conn;
use super::entities::tag;

pub use crate::domain::taxonomy::{CATEGORY, ZRM};

/// Replaces the tags of one item.
pub async fn replace(db: &impl Conn, entity_id: Uuid, tags: &[(&'static str, &'static str)]) -> Result<(), DbErr> {
    remove(db, &[entity_id]).await?;
    insert(db, entity_id, tags).await
}

/// Adds tags to a new item.
pub async fn insert(db: &impl Conn, entity_id: Uuid, tags: &[(&'static str, &'static str)]) -> Result<(), DbErr> {
    let mut rows: Vec<tag::ActiveModel> = tags
        .iter()
        .map(|(scheme, code)| tag::ActiveModel {
            scheme: Set((*scheme).to_owned()),
            code: Set((*code).to_owned()),
            entity_id: Set(entity_id),
        })
        .collect();
    rows.sort_by(|a, b| (a.scheme.as_ref(), a.code.as_ref()).cmp(&(b.scheme.as_ref(), b.code.as_ref())));
    rows.dedup_by(|a, b| a.scheme.as_ref() == b.scheme.as_ref() && a.code.as_ref() == b.code.as_ref());
    if rows.is_empty() {
        return Ok(());
    }
    tag::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// Removes every tag of the given items.
pub async fn remove(db: &impl Conn, entity_ids: &[Uuid]) -> Result<(), DbErr> {
    for chunk in entity_ids.chunks(500) {
        tag::Entity::delete_many().filter(tag::Column::EntityId.is_in(chunk.iter().copied())).exec(db).await?;
    }
    Ok(())
}

/// The tag pairs for categories and ZRM domains.
pub fn pairs(categories: &[crate::domain::ActivityCategory], zrm: &[crate::domain::ZrmDomain]) -> Vec<(&'static str, &'static str)> {
    categories.iter().map(|c| (CATEGORY, c.code())).chain(zrm.iter().map(|z| (ZRM, z.code()))).collect()
}
