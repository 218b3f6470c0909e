//! What the located resources (initiatives, people, volunteer profiles, listings) answer alike:
//! a page as JSON or as a GeoJSON FeatureCollection, and one item, read or created. One macro
//! writes the four families of answer types, so they cannot drift apart.

/// Declares a located resource's answer types (doc texts are literals: poem-openapi reads
/// them as written, not through `concat!`): `$page` (items and the next cursor), `$list`
/// (that page as JSON or GeoJSON), `$one` (an item, 200 or 201) and `$many` (a page, 200).
macro_rules! located_answers {
    (
        item: $item:ident, page: $page:ident, list: $list:ident, one: $one:ident, many: $many:ident,
        page_doc: $page_doc:literal, items_doc: $items_doc:literal, one_doc: $one_doc:literal,
        item_doc: $item_doc:literal, many_doc: $many_doc:literal, geojson_doc: $geojson:literal $(,)?
    ) => {
        #[doc = $page_doc]
        #[derive(Debug, Clone, poem_openapi::Object)]
        #[oai(skip_serializing_if_is_none)]
        pub struct $page {
            #[doc = $items_doc]
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }

        /// A list as JSON or GeoJSON.
        #[derive(Debug, poem_openapi::ResponseContent)]
        pub enum $list {
            /// `application/json`
            Json(poem_openapi::payload::Json<$page>),
            #[doc = $geojson]
            #[oai(content_type = "application/geo+json")]
            GeoJson(poem_openapi::payload::Json<$crate::api::common::FeatureCollection>),
        }

        #[doc = $one_doc]
        #[derive(Debug, poem_openapi::ApiResponse)]
        pub enum $one {
            #[doc = $item_doc]
            #[oai(status = 200)]
            Ok(poem_openapi::payload::Json<$item>),
            /// Created.
            #[oai(status = 201)]
            Created(poem_openapi::payload::Json<$item>),
        }

        #[doc = $many_doc]
        #[derive(Debug, poem_openapi::ApiResponse)]
        pub enum $many {
            /// A page.
            #[oai(status = 200)]
            Ok($list),
        }

        impl $many {
            /// A page as the client asked for it: GeoJSON when `geojson`, each item a feature
            /// placed by `place` (its exact point, else its cell); JSON otherwise.
            pub fn of(
                items: Vec<$item>,
                next_cursor: Option<String>,
                geojson: bool,
                place: impl Fn(&$item) -> (String, Option<$crate::domain::Coordinates>, Option<$crate::domain::CellId>),
            ) -> Self {
                if geojson {
                    use poem_openapi::types::ToJSON;
                    let features = items
                        .iter()
                        .map(|i| {
                            let (id, point, cell) = place(i);
                            $crate::api::common::feature(id, i.to_json().unwrap_or_default(), point, cell)
                        })
                        .collect();
                    let page = $crate::api::common::FeatureCollection::new(features, next_cursor);
                    return Self::Ok($list::GeoJson(poem_openapi::payload::Json(page)));
                }
                Self::Ok($list::Json(poem_openapi::payload::Json($page { items, next_cursor })))
            }
        }
    };
}

pub(crate) use located_answers;
