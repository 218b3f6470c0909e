//! Loading full rows by their row number, one page at a time or a whole select.

use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseBackend, DbErr, Value};
use uuid::Uuid;

use crate::store::Conn;

/// `seq` among `rows`, bound as one JSON value on both engines: the statement's text is the same
/// for any number of rows, so it stays prepared, and no list meets a limit on bound values.
pub(super) fn seq_in(backend: DatabaseBackend, rows: &[i64]) -> Expr {
    let list = serde_json::to_string(rows).expect("integers serialise");
    match backend {
        DatabaseBackend::Postgres => {
            Expr::cust_with_values("seq IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)", [Value::from(list)])
        }
        _ => Expr::cust_with_values("seq IN (SELECT value FROM json_each(?))", [Value::from(list)]),
    }
}

/// Loads the full rows of one page by row number ([`Hit::row`]).
pub async fn load_page<E>(db: &impl Conn, rows: &[i64]) -> Result<Vec<E::Model>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    use sea_orm::QueryFilter;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // No entity maps `seq` (see the entities module), so it is named here.
    load_all(db, E::find().filter(seq_in(db.get_database_backend(), rows))).await
}

/// The rows `select` finds: on SQLite outside a transaction through the lean reader (see
/// [`super::reader`]), else through the driver.
pub async fn load_all<E>(db: &impl Conn, select: sea_orm::Select<E>) -> Result<Vec<E::Model>, DbErr>
where
    E: sea_orm::EntityTrait,
    E::Model: serde::de::DeserializeOwned,
{
    use sea_orm::sea_query::ColumnType;
    use sea_orm::{ColumnTrait, IdenStatic, Iterable, QueryTrait};
    let Some(readers) = db.readers() else { return select.all(db).await };
    let query = select.into_query();
    // The entity's columns in select order, which is the model's field order, and how each
    // reads in the model's serde form. A row becomes a JSON array, which serde reads into
    // the struct field by field (no map of names to build per row).
    let columns: Vec<(&'static str, bool, bool)> = E::Column::iter()
        .map(|c| {
            let t = c.def().get_column_type().clone();
            (c.as_str(), matches!(t, ColumnType::Uuid), matches!(t, ColumnType::Boolean))
        })
        .collect();
    let stmt = db.get_database_backend().build(&query);
    let read = readers.rows(&stmt, |r| {
        use rusqlite::types::ValueRef;
        let mut fields = Vec::with_capacity(columns.len());
        for (i, &(name, is_uuid, is_bool)) in columns.iter().enumerate() {
            let value = match r.get_ref(i)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(v) if is_bool => serde_json::Value::Bool(v != 0),
                ValueRef::Integer(v) => v.into(),
                ValueRef::Real(v) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                ValueRef::Blob(b) if is_uuid => {
                    let id = Uuid::from_slice(b)
                        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, e.into()))?;
                    id.to_string().into()
                }
                ValueRef::Blob(_) => return Err(rusqlite::Error::InvalidColumnType(i, name.into(), rusqlite::types::Type::Blob)),
            };
            fields.push(value);
        }
        Ok(serde_json::Value::Array(fields))
    })?;
    if let Some(rows) = read {
        return rows.into_iter().map(|v| serde_json::from_value(v).map_err(|e| DbErr::Custom(format!("unreadable row: {e}")))).collect();
    }
    // A value the lean reader cannot bind: the driver reads the same statement.
    E::find().from_raw_sql(stmt).all(db).await
}
