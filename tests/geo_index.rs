//! The geo index against brute force on a real database: for random centres and radii, the
//! store's radius query returns exactly the items a full scan with haversine returns.

use buurtkracht::domain::items::{ListingFields, Owner, PersonFields};
use buurtkracht::domain::list::{ListFilter, Near, Sort};
use buurtkracht::domain::{ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, LocationPrecision, Radius};
use buurtkracht::geo::{Placement, storage_cell};
use buurtkracht::store::listings::{self, ListingPlace};
use buurtkracht::store::query::ListQuery;
use buurtkracht::store::{self, people};
use proptest::prelude::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::DatabaseConnection;

const ITEMS: usize = 3_000;

/// The runtime the fixture's connection lives on, the connection, and every listing with its
/// distance point.
type Fixture = (tokio::runtime::Runtime, DatabaseConnection, Vec<(uuid::Uuid, Coordinates)>);

/// A database with ITEMS listings around Zaandam, half at exact points and half at resolution
/// 7, 8 or 9 cells, and the distance point of each (exact point or cell centre).
fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (db, items) = rt.block_on(async {
            let dir = std::env::temp_dir().join("buurtkracht-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.join(format!("{}.db", uuid::Uuid::new_v4())).display());
            let db = store::connect(&url).await.unwrap();
            store::migrate(&db).await.unwrap();
            let at = Placement { wijk_code: "WK047912".into(), gemeente_code: "GM0479".into() };
            let home = Coordinates::parse(52.44, 4.83).unwrap();
            let owner = people::create(
                &db,
                &PersonFields {
                    display_name: BoundedText::parse("Eigenaar", 100).unwrap(),
                    languages: vec![],
                    contact: Default::default(),
                    home_cell: CellId::new(home.cell(LocationPrecision::DEFAULT.resolution())),
                    precision: LocationPrecision::DEFAULT,
                },
                &at,
                None,
            )
            .await
            .unwrap();
            let mut rng = SmallRng::seed_from_u64(42);
            let mut batch = Vec::new();
            for i in 0..ITEMS {
                let p = Coordinates::parse(rng.random_range(52.30..52.58), rng.random_range(4.60..5.05)).unwrap();
                let place = if i % 2 == 0 {
                    ListingPlace {
                        cell: storage_cell(p).to_db(),
                        index_cell: storage_cell(p).to_db(),
                        point: Some((p.lat(), p.lng())),
                        gemeente_code: at.gemeente_code.clone(),
                        wijk_code: at.wijk_code.clone(),
                    }
                } else {
                    let res = LocationPrecision::parse(7 + (i as i64 / 2) % 3).unwrap().resolution();
                    let cell = CellId::new(p.cell(res));
                    let centre = Coordinates::of_cell_centre(cell.index());
                    ListingPlace {
                        cell: cell.to_db(),
                        index_cell: storage_cell(centre).to_db(),
                        point: None,
                        gemeente_code: at.gemeente_code.clone(),
                        wijk_code: at.wijk_code.clone(),
                    }
                };
                let fields = ListingFields {
                    kind: ListingKind::Offer,
                    title: BoundedText::parse("Hulp", 200).unwrap(),
                    description: BoundedText::parse("Hulp in de buurt", 5000).unwrap(),
                    categories: vec![ActivityCategory::Groceries],
                    zrm_domains: vec![],
                    owner: Owner::Person(owner.id),
                    availability: Vec::new(),
                    languages: Vec::new(),
                    valid_until: chrono::Utc::now() + chrono::Duration::days(30),
                    status: ListingStatus::Open,
                };
                batch.push((fields, place));
            }
            let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
            listings::bulk_insert(&txn, &batch).await.unwrap();
            txn.commit().await.unwrap();
            // Read back every listing with its distance point, as a full scan would see it.
            let mut q = ListQuery::new(ListFilter::new(200));
            let mut items = Vec::new();
            loop {
                let (page, next) = listings::list(&db, &q).await.unwrap();
                for (m, _) in page {
                    let point = match (m.lat, m.lng) {
                        (Some(lat), Some(lng)) => Coordinates::parse(lat, lng).unwrap(),
                        _ => Coordinates::of_cell_centre(CellId::from_db(m.cell).unwrap().index()),
                    };
                    items.push((m.id, point));
                }
                match next {
                    Some(c) => q.filter.after = Some(c),
                    None => break,
                }
            }
            (db, items)
        });
        assert_eq!(items.len(), ITEMS);
        (rt, db, items)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn radius_query_equals_full_scan(lat in 52.28f64..52.60, lng in 4.58..5.07, r in 50.0f64..20_000.0) {
        let (rt, db, items) = fixture();
        let centre = Coordinates::parse(lat, lng).unwrap();
        let radius = Radius::parse(r).unwrap();
        let mut expected: Vec<uuid::Uuid> = items.iter().filter(|(_, p)| centre.distance_m(*p) <= radius.metres()).map(|(id, _)| *id).collect();
        expected.sort();
        let mut q = ListQuery::new(ListFilter::new(200));
        q.filter.near = Some(Near { centre, radius });
        q.filter.sort = Sort::Distance;
        let mut got = Vec::new();
        let mut last = 0.0f64;
        loop {
            let (page, next) = rt.block_on(listings::list(db, &q)).unwrap();
            for (m, d) in page {
                let d = d.expect("radius results carry a distance");
                prop_assert!(d >= last, "distance order broken: {d} after {last}");
                prop_assert!(d <= radius.metres());
                last = d;
                got.push(m.id);
            }
            match next {
                Some(c) => q.filter.after = Some(c),
                None => break,
            }
        }
        got.sort();
        prop_assert_eq!(got, expected);
    }
}
