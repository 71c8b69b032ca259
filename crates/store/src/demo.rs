//! Demo data that looks like a real reseller: the three UK networks'
//! catalogues, two partners with customers and connections on Ofcom's drama
//! range (07700 900000–900999), and synthetic connections for load tests.

use crate::catalogue::{NewBundle, NewTariff};
use crate::connections::{ConnectionBar, ConnectionBundle, NewConnection};
use crate::{args, Result, Store};
use chrono::NaiveDate;
use domain::customer::CustomerInput;
use domain::sim::make_iccid;
use domain::status::{ConnectionStatus, SubscriberStatus};
use domain::{Network, Scopes};

/// The actor recorded in audit rows written by seeding.
pub const DEMO_ACTOR: &str = "system:demo";
/// The partner that owns synthetic load-test connections.
pub const LOAD_PARTNER: &str = "Load Test Partner";
/// Synthetic load-test CLIs are `07400000000` upwards (outside the drama
/// range, which holds only a thousand numbers).
pub const LOAD_CLI_BASE: u64 = 7_400_000_000;

/// What seeding made, for printing.
/// The demo ISP partner, its API user and its subscribers' password.
pub const DEMO_ISP_PARTNER: &str = "Fibrewave Broadband Ltd";
pub const DEMO_ISP_USER: &str = "fibrewave-api";
pub const DEMO_SUBSCRIBER_PASSWORD: &str = "broadband-demo";

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub partners: Vec<(i64, String)>,
    pub customers: usize,
    pub connections: usize,
}

struct TariffSpec {
    code: &'static str,
    name: &'static str,
    plan: &'static str,
    pence: i64,
    term: i64,
    data_gb: Option<i64>,
    cap: Option<(i64, i64)>,
    retired: bool,
}

// A row of the tariff table: positional on purpose, so the table reads as one.
#[allow(clippy::too_many_arguments)]
const fn ts(
    code: &'static str,
    name: &'static str,
    plan: &'static str,
    pence: i64,
    term: i64,
    data_gb: Option<i64>,
    cap: Option<(i64, i64)>,
    retired: bool,
) -> TariffSpec {
    TariffSpec { code, name, plan, pence, term, data_gb, cap, retired }
}

const CAP: Option<(i64, i64)> = Some((500, 25_000));

fn tariffs(network: Network) -> Vec<TariffSpec> {
    match network {
        Network::Vodafone => vec![
            ts("VF-SO-5", "Business SIM 5GB", "SIM only", 900, 12, Some(5), CAP, false),
            ts("VF-SO-30", "Business SIM 30GB", "SIM only", 1800, 24, Some(30), CAP, false),
            ts("VF-SO-100", "Business SIM 100GB", "SIM only", 2400, 24, Some(100), CAP, false),
            ts("VF-BU", "Business Unlimited", "Business plan", 3200, 24, None, CAP, false),
            ts(
                "VF-BUM",
                "Business Unlimited Max (5G, EU roaming)",
                "Business plan",
                4200,
                36,
                None,
                None,
                false,
            ),
            ts("VF-RED2", "Red Business 2GB", "Business plan", 1500, 24, Some(2), None, true),
        ],
        Network::O2 => vec![
            ts("O2-SO-10", "O2 Business SIM 10GB", "SIM only", 1000, 12, Some(10), CAP, false),
            ts("O2-SO-50", "O2 Business SIM 50GB", "SIM only", 1900, 24, Some(50), CAP, false),
            ts(
                "O2-BP-150",
                "O2 Business Plan 150GB",
                "Business plan",
                2600,
                24,
                Some(150),
                CAP,
                false,
            ),
            ts("O2-BU", "O2 Business Unlimited", "Business plan", 3300, 24, None, None, false),
            ts(
                "O2-REF-4",
                "O2 Refresh Business 4GB",
                "Business plan",
                1400,
                24,
                Some(4),
                None,
                true,
            ),
        ],
        Network::EE => vec![
            ts("EE-SO-8", "EE Business SIM 8GB", "SIM only", 1100, 12, Some(8), CAP, false),
            ts("EE-SO-60", "EE Business SIM 60GB", "SIM only", 2000, 24, Some(60), CAP, false),
            ts(
                "EE-BP-200",
                "EE Business Plan 200GB",
                "Business plan",
                2800,
                24,
                Some(200),
                CAP,
                false,
            ),
            ts("EE-BMU", "EE Business Max Unlimited", "Business plan", 3600, 24, None, None, false),
        ],
    }
}

/// A bundle every network sells: its code suffix, what it costs and what
/// it adds each period.
struct DemoBundle {
    code: &'static str,
    name: &'static str,
    category: &'static str,
    pence: i64,
    recurring: bool,
    description: &'static str,
    data_mb: i64,
    intl_minutes: i64,
    roaming_zones: i64,
}

const fn bundle(
    code: &'static str,
    name: &'static str,
    category: &'static str,
    pence: i64,
    recurring: bool,
    description: &'static str,
    (data_mb, intl_minutes, roaming_zones): (i64, i64, i64),
) -> DemoBundle {
    DemoBundle {
        code,
        name,
        category,
        pence,
        recurring,
        description,
        data_mb,
        intl_minutes,
        roaming_zones,
    }
}

/// (data MB, international minutes, roaming zones) each adds.
const BUNDLES: &[DemoBundle] = &[
    bundle(
        "DATA5",
        "Data Add-on 5GB",
        "Data",
        500,
        false,
        "5GB extra data this billing month",
        (5120, 0, 0),
    ),
    bundle(
        "DATA20",
        "Data Add-on 20GB",
        "Data",
        1000,
        true,
        "20GB extra data every month",
        (20480, 0, 0),
    ),
    bundle(
        "EUROAM",
        "EU Roaming",
        "Roaming",
        300,
        true,
        "use UK allowances in the EU, every month",
        (0, 0, 1),
    ),
    bundle(
        "WWROAM",
        "Worldwide Roaming Pass",
        "Roaming",
        600,
        true,
        "use UK allowances in 80 destinations",
        (0, 0, 2),
    ),
    bundle(
        "INT100",
        "International Minutes 100",
        "International",
        500,
        true,
        "100 minutes to 50 countries from the UK",
        (0, 100, 0),
    ),
    bundle(
        "INT500",
        "International Minutes 500",
        "International",
        1200,
        true,
        "500 minutes to 50 countries from the UK",
        (0, 500, 0),
    ),
];

/// (suffix, name, category): the GSM call-barring supplementary services
/// (3GPP TS 22.088) and the operator bars resellers apply.
const BARS: &[(&str, &str, &str)] = &[
    ("BAOC", "Barring of all outgoing calls", "GSM barring"),
    ("BOIC", "Barring of outgoing international calls", "GSM barring"),
    ("BOICEXHC", "Barring of outgoing international calls except to home country", "GSM barring"),
    ("BAIC", "Barring of all incoming calls", "GSM barring"),
    ("BICROAM", "Barring of incoming calls when roaming", "GSM barring"),
    ("INT", "International", "Operator"),
    ("PRM", "Premium rate", "Operator"),
    ("ROAM", "Roaming", "Operator"),
    ("DATA", "Data", "Operator"),
    ("ADULT", "Adult content", "Operator"),
    ("STOLEN", "Stolen (all usage)", "Operator"),
];

// A demo customer: positional on purpose, so the list reads as a table.
#[allow(clippy::too_many_arguments)]
fn customer(
    name: &str,
    reg: &str,
    contact: &str,
    email: &str,
    phone: &str,
    line: &str,
    town: &str,
    postcode: &str,
) -> CustomerInput {
    CustomerInput {
        company_name: name.into(),
        co_reg_number: Some(reg.into()),
        organization_number: None,
        contact_name: contact.into(),
        contact_email: email.into(),
        contact_phone: Some(phone.into()),
        address_lines: vec![line.into()],
        town: town.into(),
        postcode: postcode.into(),
        billing_email: Some(format!(
            "accounts@{}",
            email.split('@').nth(1).unwrap_or("example.com")
        )),
    }
}

impl Store {
    /// Whether the catalogue has been seeded (any tariff exists).
    pub async fn has_catalogue(&self) -> Result<bool> {
        let n: i64 = self.read_number("SELECT COUNT(*) FROM tariffs", args![]).await?;
        Ok(n > 0)
    }

    /// Seeds the networks' catalogues if there is none yet.
    pub async fn seed_catalogue(&self) -> Result<()> {
        if self.has_catalogue().await? {
            return Ok(());
        }
        for network in Network::ALL {
            let mut tariff_ids = Vec::new();
            for t in tariffs(network) {
                let id = self
                    .catalogue()
                    .insert_tariff(&NewTariff {
                        network,
                        code: t.code,
                        name: t.name,
                        plan_type: t.plan,
                        monthly_pence: t.pence,
                        term_months: t.term,
                        data_mb: t.data_gb.map(|g| g * 1024),
                        minutes: None,
                        texts: None,
                        bill_cap: t.cap,
                        retired: t.retired,
                    })
                    .await?;
                tariff_ids.push((id, t.data_gb.is_none()));
            }
            let prefix = match network {
                Network::Vodafone => "VF",
                Network::O2 => "O2",
                Network::EE => "EE",
            };
            for b in BUNDLES {
                let bundle = self
                    .catalogue()
                    .insert_bundle(&NewBundle {
                        network,
                        code: &format!("{prefix}-{}", b.code),
                        name: b.name,
                        category: b.category,
                        monthly_pence: b.pence,
                        recurring: b.recurring,
                        description: b.description,
                        data_mb: b.data_mb,
                        intl_minutes: b.intl_minutes,
                        roaming_zones: b.roaming_zones,
                    })
                    .await?;
                for (tariff, unlimited) in &tariff_ids {
                    // Unlimited-data tariffs take no data add-ons.
                    if !(b.data_mb > 0 && *unlimited) {
                        self.catalogue().link_tariff_bundle(*tariff, bundle).await?;
                    }
                }
            }
            for (suffix, name, category) in BARS {
                self.catalogue().insert_bar(network, suffix, name, category).await?;
            }
        }
        Ok(())
    }

    /// Seeds the catalogue, the house account and two partners with a few
    /// customers each and connections on the drama range. Only on a
    /// database with no partners; answers `None` when there were some.
    pub async fn seed_demo(&self, today: NaiveDate) -> Result<Option<DemoSummary>> {
        if !self.partners().list_partners().await?.is_empty() {
            return Ok(None);
        }
        self.seed_catalogue().await?;
        let house = self.partners().create_partner(DEMO_ACTOR, "House", true).await?;
        let north = self
            .partners()
            .create_partner(DEMO_ACTOR, "Northern Mobile Solutions Ltd", false)
            .await?;
        let capital =
            self.partners().create_partner(DEMO_ACTOR, "Capital Connect Partners", false).await?;
        let customers = [
            (
                north.id,
                customer(
                    "Acme Widgets Ltd",
                    "01234567",
                    "Jane Smith",
                    "jane@acme.example",
                    "0113 496 0000",
                    "1 High Street",
                    "Leeds",
                    "LS1 4AP",
                ),
            ),
            (
                north.id,
                customer(
                    "Pennine Plumbing & Heating Ltd",
                    "08765432",
                    "Tom Barker",
                    "tom@pennineplumbing.example",
                    "07700 900901",
                    "Unit 4, Canal Wharf",
                    "Huddersfield",
                    "HD1 3AA",
                ),
            ),
            (
                north.id,
                customer(
                    "Harrogate Dental Practice LLP",
                    "OC412345",
                    "Dr Priya Shah",
                    "priya@harrogatedental.example",
                    "01423 496000",
                    "12 Victoria Avenue",
                    "Harrogate",
                    "HG1 1EL",
                ),
            ),
            (
                capital.id,
                customer(
                    "Thames Logistics Ltd",
                    "09876543",
                    "Oliver Grant",
                    "oliver@thameslogistics.example",
                    "020 7946 0000",
                    "Dock House, 5 River Road",
                    "London",
                    "E14 9SH",
                ),
            ),
            (
                capital.id,
                customer(
                    "Clyde Architecture Ltd",
                    "SC654321",
                    "Fiona MacLeod",
                    "fiona@clydearch.example",
                    "0141 496 0000",
                    "88 Bath Street",
                    "Glasgow",
                    "G2 2EN",
                ),
            ),
            (
                house.id,
                customer(
                    "Switchboard Demo House Account",
                    "12345678",
                    "Support Team",
                    "support@switchboard.example",
                    "0113 496 0999",
                    "1 Exchange Square",
                    "Leeds",
                    "LS1 5AB",
                ),
            ),
        ];
        let mut ids = Vec::new();
        for (partner, c) in customers {
            let valid = c.validate().expect("demo customers are valid");
            ids.push((
                partner,
                self.customers().create_customer(DEMO_ACTOR, partner, &valid).await?.id,
            ));
        }
        let mut conns = Vec::new();
        let mut serial = 0u64;
        for (n, (partner, customer_id)) in ids.iter().enumerate() {
            let network = Network::ALL[n % 3];
            let catalogue = self.catalogue().tariffs_for_network(network, false).await?;
            let bars = self.catalogue().bars_for_network(network).await?;
            for k in 0..(3 + n % 3) {
                let tariff = &catalogue[(n + k) % catalogue.len()];
                let start = today - chrono::Days::new(30 * (k as u64 + 1) + n as u64);
                let allowed = self.catalogue().bundles_for_tariff(tariff.id).await?;
                let mut on = Vec::new();
                if let Some(b) = allowed.iter().find(|b| b.category == "Roaming" && k % 2 == 0) {
                    on.push(ConnectionBundle {
                        tariff_option_id: b.id,
                        name: b.name.clone(),
                        monthly_pence: b.monthly_pence,
                    });
                }
                let prm = bars.iter().find(|b| b.bar_suffix == "PRM").expect("PRM bar seeded");
                let cap = tariff.bill_cap_eligible && k % 2 == 1;
                conns.push(NewConnection {
                    partner_id: *partner,
                    customer_id: *customer_id,
                    cli: format!("07700900{:03}", serial),
                    network: network.as_str().into(),
                    status: ConnectionStatus::Active,
                    tariff_id: tariff.id,
                    sim_type: "Physical".into(),
                    iccid: Some(make_iccid(network, 1_000 + serial)),
                    eid: None,
                    start_date: start,
                    contract_end_date: domain::tariff::contract_end(start, tariff.term_months),
                    bill_cap_enabled: cap,
                    bill_cap_pence: cap.then_some(2_500),
                    bundles: on,
                    bars: if k == 0 {
                        vec![ConnectionBar {
                            bar_id: prm.id,
                            bar_suffix: prm.bar_suffix.clone(),
                            name: prm.name.clone(),
                        }]
                    } else {
                        vec![]
                    },
                });
                serial += 1;
            }
        }
        self.connections().insert_connections(&conns).await?;
        // Some accounts owe a little: every fifth connection has a bill unpaid.
        self.execute("UPDATE connections SET balance_pence = 2350 WHERE id % 5 = 1", vec![])
            .await?;
        // Number pools on the rest of the drama range.
        for (network, from, to) in
            [(Network::Vodafone, 500, 699), (Network::O2, 700, 849), (Network::EE, 850, 999)]
        {
            let clis: Vec<String> = (from..=to).map(|n| format!("07700900{n:03}")).collect();
            self.numbers().add_pool_numbers(network, &clis).await?;
        }
        let isp = self.seed_isp_demo().await?;
        self.seed_agreements_demo(ids[0], ids[1], ids[3]).await?;
        Ok(Some(DemoSummary {
            partners: vec![
                (house.id, house.name),
                (north.id, north.name),
                (capital.id, capital.name),
                (isp.id, isp.name),
            ],
            customers: ids.len() + 1,
            connections: conns.len(),
        }))
    }

    /// Corporate agreements: two business customers of North (one whose
    /// agreement has ended) and one of Capital, with Norwegian
    /// organisation numbers; offers of extra data, a switchboard user
    /// licence and a fixed-to-mobile number; a product on each agreement.
    async fn seed_agreements_demo(
        &self,
        (north, acme): (i64, i64),
        (_, pennine): (i64, i64),
        (capital, thames): (i64, i64),
    ) -> Result<()> {
        let now = self.now();
        let invoice = serde_json::json!({"id": 6140, "name": "Invoice account", "type": "string", "required": true, "pattern": "[0-9]{8}"});
        let offers = [
            (
                13883,
                "Extra data 10 GB",
                "10 GB more mobile data each month for one user",
                serde_json::json!([
                {"id": 6420, "name": "Notification e-mail", "type": "email", "required": true},
                {"id": 6425, "name": "Data size", "type": "enum", "required": true, "allowedValues": ["5GB", "10GB", "20GB"], "default": "10GB"},
                invoice]),
            ),
            (
                13884,
                "Switchboard user licence",
                "A licence for one user of the hosted switchboard",
                serde_json::json!([
                {"id": 6421, "name": "User e-mail", "type": "email", "required": true},
                {"id": 6422, "name": "Licence level", "type": "enum", "required": true, "allowedValues": ["Basic", "Advanced"], "default": "Basic"},
                invoice]),
            ),
            (
                13885,
                "Fixed-to-mobile number",
                "A fixed number that rings a mobile",
                serde_json::json!([
                {"id": 6430, "name": "Mobile number", "type": "msisdn", "required": true},
                {"id": 6431, "name": "Fixed number", "type": "string", "required": true, "pattern": "[2-7][0-9]{7}"},
                invoice]),
            ),
        ];
        for (id, name, description, chars) in &offers {
            self.execute(
                "INSERT INTO product_offers (id, name, description, characteristics) VALUES ($1, $2, $3, $4)",
                args![*id, *name, *description, chars.to_string()],
            )
            .await?;
        }
        for (customer, org) in [(acme, "912345688"), (pennine, "812345672"), (thames, "923456783")]
        {
            self.execute(
                "UPDATE customers SET organization_number = $1 WHERE id = $2",
                args![org, customer],
            )
            .await?;
        }
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        for (id, partner, customer, to, offers) in [
            (5_538_579i64, north, acme, None, vec![13883i64, 13884, 13885]),
            (5_538_580, north, pennine, Some(d(2025, 12, 31)), vec![13883]),
            (5_538_581, capital, thames, None, vec![13883, 13884]),
        ] {
            self.execute(
                "INSERT INTO agreements (id, partner_id, customer_id, category, valid_from, valid_to, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'MOBILE_BUSINESS_NETWORK', $4, $5, 'ACTIVE', $6, $6)",
                args![id, partner, customer, d(2024, 1, 1), to, now],
            )
            .await?;
            for offer in offers {
                self.execute(
                    "INSERT INTO agreement_offers (agreement_id, offer_id) VALUES ($1, $2)",
                    args![id, offer],
                )
                .await?;
            }
        }
        for (id, agreement, offer, name, confs) in [
            (
                2_799_029i64,
                5_538_579i64,
                13883i64,
                "Extra data 10 GB",
                serde_json::json!([{"id": 6420, "value": "jane@acme.example"}, {"id": 6425, "value": "10GB"}, {"id": 6140, "value": "11175198"}]),
            ),
            (
                2_799_030,
                5_538_579,
                13884,
                "Switchboard user licence",
                serde_json::json!([{"id": 6421, "value": "reception@acme.example"}, {"id": 6422, "value": "Basic"}, {"id": 6140, "value": "11175198"}]),
            ),
            (
                2_799_031,
                5_538_581,
                13883,
                "Extra data 10 GB",
                serde_json::json!([{"id": 6420, "value": "oliver@thameslogistics.example"}, {"id": 6425, "value": "10GB"}, {"id": 6140, "value": "22286309"}]),
            ),
        ] {
            self.execute(
                "INSERT INTO agreement_products (id, agreement_id, offer_id, name, status, configurations, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $6, $6)",
                args![id, agreement, offer, name, confs.to_string(), now],
            )
            .await?;
        }
        if self.backend() == "postgres" {
            // Ids given explicitly: new rows number on from them.
            for table in ["agreements", "agreement_products"] {
                self.execute(
                    &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"),
                    vec![],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The demo ISP: a broadband partner with speed profiles, a business
    /// customer, subscribers in each status, and an API user for its
    /// integrators and its FreeRADIUS (`serve --demo` gives it a token).
    async fn seed_isp_demo(&self) -> Result<crate::partners::Partner> {
        use crate::isp::{NewIspUser, NewProfile};
        let isp = self.partners().create_partner(DEMO_ACTOR, DEMO_ISP_PARTNER, false).await?;
        let mut profiles = Vec::new();
        for (name, down, up, pence, pool, sim, chap) in [
            ("Fibre 100", 100_000, 20_000, 3000, None, 1, false),
            ("Fibre 500", 500_000, 75_000, 4500, None, 2, false),
            ("Business PPPoE 80", 80_000, 20_000, 5500, Some("business"), 1, true),
        ] {
            profiles.push(
                self.isp()
                    .create_profile(
                        DEMO_ACTOR,
                        &NewProfile {
                            partner_id: isp.id,
                            name: name.into(),
                            download_kbps: down,
                            upload_kbps: up,
                            price_pence: pence,
                            period_days: 30,
                            framed_pool: pool.map(str::to_owned),
                            acct_interim_secs: 300,
                            simultaneous_use: sim,
                            chap,
                        },
                    )
                    .await?,
            );
        }
        let valid = customer(
            "Dalesview Holiday Cottages Ltd",
            "09876543",
            "Sam Hartley",
            "sam@dalesview.example",
            "01756 700100",
            "Moor Lane",
            "Skipton",
            "BD23 1AB",
        )
        .validate()
        .expect("demo customers are valid");
        let cust = self.customers().create_customer(DEMO_ACTOR, isp.id, &valid).await?;
        let now = self.now();
        let hash = crate::credentials::hash_password(DEMO_SUBSCRIBER_PASSWORD);
        for (username, profile, days, mac, ip, status) in [
            ("alice", 0, 30, None, None, SubscriberStatus::Active),
            ("bob", 1, 30, Some("AA:BB:CC:00:11:22"), None, SubscriberStatus::Suspended),
            ("carol", 0, -3, None, None, SubscriberStatus::Active),
            ("dalesview-office", 1, 365, None, Some("100.64.10.10"), SubscriberStatus::Active),
        ] {
            let u = self
                .isp()
                .create_isp_user(
                    DEMO_ACTOR,
                    &NewIspUser {
                        partner_id: isp.id,
                        customer_id: (username == "dalesview-office").then_some(cust.id),
                        profile_id: profiles[profile].id,
                        username: username.into(),
                        password_hash: hash.clone(),
                        password_sealed: None,
                        expiration: Some(now + chrono::Duration::days(days)),
                        mac: mac.map(str::to_owned),
                        static_ip: ip.map(str::to_owned),
                    },
                )
                .await?;
            if status != SubscriberStatus::Active {
                self.isp()
                    .set_isp_user_status(DEMO_ACTOR, crate::Visibility::All, u.id, status)
                    .await?;
            }
        }
        self.credentials()
            .create_user(
                DEMO_ACTOR,
                isp.id,
                DEMO_ISP_USER,
                &crate::credentials::random_hex(16),
                Scopes::parse("isp customers").expect("demo scopes"),
            )
            .await?;
        Ok(isp)
    }

    /// Adds `count` synthetic connections (CLIs from 07400000000 upwards,
    /// after any made before) for load tests, spread over customers of the
    /// load-test partner, a hundred connections each. Answers the first and
    /// last CLI made.
    pub async fn seed_synthetic(&self, count: u64, today: NaiveDate) -> Result<(String, String)> {
        self.seed_catalogue().await?;
        let partner = match self.partners().partner_by_name(LOAD_PARTNER).await? {
            Some(p) => p,
            None => self.partners().create_partner(DEMO_ACTOR, LOAD_PARTNER, false).await?,
        };
        let already: i64 = self
            .read_number("SELECT COUNT(*) FROM connections WHERE cli LIKE '074%'", args![])
            .await?;
        let first = already as u64;
        let tariff =
            self.catalogue().tariffs_for_network(Network::Vodafone, false).await?.remove(1);
        let roaming = self
            .catalogue()
            .bundles_for_tariff(tariff.id)
            .await?
            .into_iter()
            .find(|b| b.category == "Roaming");
        let mut customer_id = 0;
        let mut batch = Vec::with_capacity(10_000);
        for i in first..first + count {
            if (i - first).is_multiple_of(100) {
                let c = customer(
                    &format!("Synthetic Customer {i:07} Ltd"),
                    &format!("{:08}", 20_000_000 + i / 100),
                    "Load Test",
                    &format!("load{i}@synthetic.example"),
                    "0113 496 0500",
                    "1 Test Street",
                    "Leeds",
                    "LS1 4AP",
                )
                .validate()
                .expect("synthetic customers are valid");
                customer_id =
                    self.customers().create_customer(DEMO_ACTOR, partner.id, &c).await?.id;
            }
            let start = today - chrono::Days::new(i % 700);
            batch.push(NewConnection {
                partner_id: partner.id,
                customer_id,
                cli: format!("0{}", LOAD_CLI_BASE + i),
                network: "Vodafone".into(),
                status: ConnectionStatus::Active,
                tariff_id: tariff.id,
                sim_type: "Physical".into(),
                iccid: Some(make_iccid(Network::Vodafone, 100_000_000 + i)),
                eid: None,
                start_date: start,
                contract_end_date: domain::tariff::contract_end(start, tariff.term_months),
                bill_cap_enabled: i % 3 == 0,
                bill_cap_pence: (i % 3 == 0).then_some(3_000),
                bundles: roaming
                    .iter()
                    .map(|b| ConnectionBundle {
                        tariff_option_id: b.id,
                        name: b.name.clone(),
                        monthly_pence: b.monthly_pence,
                    })
                    .collect(),
                bars: vec![],
            });
            if batch.len() == 10_000 {
                self.connections().insert_connections(&batch).await?;
                batch.clear();
            }
        }
        self.connections().insert_connections(&batch).await?;
        Ok((
            format!("0{}", LOAD_CLI_BASE + first),
            format!("0{}", LOAD_CLI_BASE + first + count.saturating_sub(1)),
        ))
    }

    /// Adds `count` synthetic ISP subscribers (user names
    /// `loadNNNNNNN@fibre.example`, after any made before) to the
    /// load-test partner, on one profile, sharing one Argon2 hash of
    /// `load-test-password`, a tenth with a static IP. Answers the first
    /// and last user name made.
    pub async fn seed_synthetic_subscribers(&self, count: u64) -> Result<(String, String)> {
        let partner = match self.partners().partner_by_name(LOAD_PARTNER).await? {
            Some(p) => p,
            None => self.partners().create_partner(DEMO_ACTOR, LOAD_PARTNER, false).await?,
        };
        let vis = crate::Visibility::Partner(partner.id);
        let page = domain::paging::PageRequest::new(None, Some(1))?;
        let profile = match self.isp().list_profiles(vis, page).await?.0.into_iter().next() {
            Some(p) => p,
            None => {
                self.isp()
                    .create_profile(
                        DEMO_ACTOR,
                        &crate::isp::NewProfile {
                            partner_id: partner.id,
                            name: "Load 100M".into(),
                            download_kbps: 100_000,
                            upload_kbps: 20_000,
                            price_pence: 3_000,
                            period_days: 30,
                            framed_pool: None,
                            acct_interim_secs: 300,
                            simultaneous_use: 1,
                            chap: false,
                        },
                    )
                    .await?
            }
        };
        let first = self
            .read_number(
                "SELECT COUNT(*) FROM isp_users WHERE username LIKE 'load%@fibre.example'",
                args![],
            )
            .await? as u64;
        let hash = crate::credentials::hash_password("load-test-password");
        let now = self.now();
        let name = |i: u64| format!("load{i:07}@fibre.example");
        const COLS: usize = 9;
        let ids: Vec<u64> = (first..first + count).collect();
        for batch in ids.chunks(10_000) {
            self.write(async |tx| {
                for chunk in batch.chunks(400) {
                    let rows: Vec<String> = (0..chunk.len())
                        .map(|i| format!("({}, 'active', $1, $1, $1)", crate::in_list(i * COLS + 2, COLS)))
                        .collect();
                    let sql = format!(
                        "INSERT INTO isp_users (partner_id, customer_id, profile_id, username, password_hash, password_sealed, expiration, mac, static_ip, status, created_at, activated_at, updated_at) VALUES {}",
                        rows.join(",")
                    );
                    let mut a = args![now];
                    for &i in chunk {
                        let ip = (i % 10 == 0).then(|| {
                            let n = i / 10;
                            format!("100.{}.{}.{}", 64 + (n >> 16) % 64, (n >> 8) % 256, n % 256)
                        });
                        a.extend(args![
                            partner.id,
                            None::<i64>,
                            profile.id,
                            name(i),
                            &hash,
                            None::<String>,
                            now + chrono::Duration::days(30),
                            None::<String>,
                            ip
                        ]);
                    }
                    tx.execute(&sql, a).await?;
                }
                Ok::<_, crate::StoreError>(())
            })
            .await?;
        }
        Ok((name(first), name(first + count.saturating_sub(1))))
    }

    /// Adds `count` synthetic numbers to each network's pool for load
    /// tests: Vodafone from 07800000000, O2 from 07810000000, EE from
    /// 07820000000. Answers how many each pool holds free after.
    pub async fn seed_synthetic_pool(&self, count: u64) -> Result<Vec<(Network, i64)>> {
        let mut out = Vec::new();
        for (network, base) in [
            (Network::Vodafone, 7_800_000_000u64),
            (Network::O2, 7_810_000_000),
            (Network::EE, 7_820_000_000),
        ] {
            let clis: Vec<String> = (0..count).map(|i| format!("0{}", base + i)).collect();
            self.numbers().add_pool_numbers(network, &clis).await?;
            let free = self
                .numbers()
                .free_numbers(
                    network,
                    domain::paging::PageRequest::new(None, Some(1)).expect("valid page"),
                )
                .await?
                .1;
            out.push((network, free));
        }
        Ok(out)
    }

    /// Creates a demo API client (every scope but `admin`) for `partner_id`.
    pub async fn demo_client(&self, partner_id: i64) -> Result<crate::credentials::NewClient> {
        let scopes = Scopes::parse("customers connections orders tasks usage isp agreements")
            .expect("known scopes");
        self.credentials().create_client(DEMO_ACTOR, partner_id, scopes, "demo client").await
    }
}
