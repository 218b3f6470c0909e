//! A gemeente an admin granted to a professional's token subject.
use sea_orm::entity::prelude::*;

/// A row of `professional_scopes`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "professional_scopes")]
pub struct Model {
    /// The professional's token subject.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// The gemeente.
    #[sea_orm(primary_key, auto_increment = false)]
    pub gemeente_code: String,
    /// The admin who granted it.
    pub granted_by: String,
    /// When.
    pub granted_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
