//! Self-tests of the in-process OpenStack fakes (tests/support/openstack):
//! wire format, paging, lifecycles, floating IPs, Gnocchi aggregates, fault
//! injection, and a run of the real `openstack` CLI against them (with a
//! real Keystone) to keep them honest.

use hytop_testkit as support;

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use support::openstack::world::{
    FLAVOR_I4_TINY, FLAVOR_M1_SMALL, FLAVOR_M1_TINY, IMAGE_CIRROS, IMAGE_COUNT, IMAGE_UBUNTU,
    KEYPAIR_NAME, NETWORK_EXTERNAL, NETWORK_PRIVATE,
};
use support::openstack::{FakeOpenStack, FakeOptions, Service, TokenCheck};

const PROJECT: &str = "3e0f2a5c8b7d4e19a6c5b4d3e2f1a0b9";

/// A tiny client with an `X-Auth-Token` (or none).
struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    headers: Vec<(String, String)>,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl Api {
    fn new(fake: &FakeOpenStack) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            base: fake.base_url(),
            token: Some("any-token".into()),
            headers: vec![("Accept".into(), "application/json".into())],
        }
    }

    fn anonymous(mut self) -> Api {
        self.token = None;
        self
    }

    fn header(mut self, name: &str, value: &str) -> Api {
        self.headers.push((name.into(), value.into()));
        self
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, url);
        if let Some(token) = &self.token {
            request = request.header("X-Auth-Token", token);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(body)).await
    }
}

fn options() -> FakeOptions {
    FakeOptions::any_token(PROJECT)
}

fn names(servers: &Value) -> Vec<String> {
    servers
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

fn next_href(body: &Value, key: &str) -> Option<String> {
    body[key]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == "next")
        .and_then(|l| l["href"].as_str())
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_token_get_keystonemiddlewares_401() {
    let fake = FakeOpenStack::start(options()).await;
    let api = Api::new(&fake).anonymous();
    for path in [
        "/compute/v2.1/servers/detail",
        "/network/v2.0/networks",
        "/image/v2/images",
        "/metric/v1/resource/instance",
    ] {
        let answer = api.get(path).await;
        assert_eq!(answer.status, 401, "{path}: {}", answer.text);
        assert_eq!(
            answer.body,
            json!({"error": {"code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}})
        );
        let www = answer.headers["www-authenticate"].to_str().unwrap();
        assert!(www.starts_with("Keystone uri=\""), "{www}");
    }
    // Version documents need no token, as in the real services.
    let compute = api.get("/compute/").await;
    assert_eq!(compute.status, 200);
    assert_eq!(compute.body["versions"][1]["id"], "v2.1");
    assert_eq!(compute.body["versions"][1]["version"], "2.96");
    assert_eq!(compute.body["versions"][1]["min_version"], "2.1");
    let v21 = api.get("/compute/v2.1").await;
    assert_eq!(v21.body["version"]["id"], "v2.1");
    assert_eq!(
        v21.body["version"]["links"][0]["href"],
        format!("{}/compute/v2.1/", fake.base_url())
    );
    let network = api.get("/network/").await;
    assert_eq!(network.status, 200);
    assert_eq!(
        network.body["versions"][0]["links"][0]["href"],
        format!("{}/network/v2.0", fake.base_url())
    );
    let image = api.get("/image/").await;
    assert_eq!(image.status, 300, "glance answers 300 Multiple Choices");
    assert_eq!(image.body["versions"][0]["status"], "CURRENT");
    assert_eq!(api.get("/image/versions").await.status, 200);
    let metric = api.get("/metric/").await;
    assert_eq!(metric.body["versions"][0]["id"], "v1.0");

    let recorded = fake.requests();
    assert_eq!(recorded.len(), 10);
    assert_eq!(recorded[0].service, Service::Compute);
    assert_eq!(recorded[0].path, "/compute/v2.1/servers/detail");
    assert_eq!(recorded[0].status, 401);
    assert_eq!(fake.count(Service::Image), 3);
    fake.reset_requests();
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_page_newest_first_with_next_links() {
    let mut opts = options();
    opts.nova_max_limit = 3;
    let fake = FakeOpenStack::start(opts).await;
    let ids = fake.seed(PROJECT, 7);
    fake.seed("someone-else", 2);
    let api = Api::new(&fake);

    let page1 = api.get("/compute/v2.1/servers/detail").await;
    assert_eq!(page1.status, 200, "{}", page1.text);
    assert_eq!(
        names(&page1.body["servers"]),
        ["lab-vm-007", "lab-vm-006", "lab-vm-005"]
    );
    let next = next_href(&page1.body, "servers_links").expect("next link at max_limit");
    assert_eq!(
        next,
        format!(
            "{}/compute/v2.1/servers/detail?marker={}",
            fake.base_url(),
            ids[4]
        )
    );
    let page2 = api.get(&next).await;
    assert_eq!(
        names(&page2.body["servers"]),
        ["lab-vm-004", "lab-vm-003", "lab-vm-002"]
    );
    let page3 = api
        .get(&next_href(&page2.body, "servers_links").unwrap())
        .await;
    assert_eq!(names(&page3.body["servers"]), ["lab-vm-001"]);
    assert!(page3.body.get("servers_links").is_none());

    // An explicit limit is echoed (sorted params) in the next link.
    let limited = api.get("/compute/v2.1/servers?name=lab&limit=2").await;
    assert_eq!(
        names(&limited.body["servers"]),
        ["lab-vm-007", "lab-vm-006"]
    );
    let server = &limited.body["servers"][0];
    assert_eq!(
        server.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "links", "name"]
    );
    assert_eq!(
        next_href(&limited.body, "servers_links").unwrap(),
        format!(
            "{}/compute/v2.1/servers?limit=2&name=lab&marker={}",
            fake.base_url(),
            ids[5]
        )
    );
    // Filters.
    let by_name = api
        .get("/compute/v2.1/servers/detail?name=%5Elab-vm-00%5B12%5D")
        .await;
    assert_eq!(by_name.status, 200);
    let exact = api
        .get("/compute/v2.1/servers/detail?name=^lab-vm-003$")
        .await;
    assert_eq!(names(&exact.body["servers"]), ["lab-vm-003"]);
    let active = api
        .get("/compute/v2.1/servers/detail?status=ACTIVE&limit=100")
        .await;
    assert_eq!(
        active.body["servers"].as_array().unwrap().len(),
        3,
        "capped by max_limit"
    );
    let none = api.get("/compute/v2.1/servers/detail?status=BUILD").await;
    assert_eq!(none.body["servers"], json!([]));
    let bad_marker = api.get("/compute/v2.1/servers/detail?marker=nope").await;
    assert_eq!(bad_marker.status, 400);
    assert_eq!(
        bad_marker.body,
        json!({"badRequest": {"code": 400, "message": "marker [nope] not found"}})
    );
    let bad_limit = api.get("/compute/v2.1/servers/detail?limit=-1").await;
    assert_eq!(bad_limit.status, 400);

    // The body of a seeded server (v2.1: flavor by reference).
    let s = &page3.body["servers"][0];
    assert_eq!(s["id"], ids[0]);
    assert_eq!(s["status"], "ACTIVE");
    assert_eq!(s["tenant_id"], PROJECT);
    assert_eq!(s["OS-EXT-STS:vm_state"], "active");
    assert_eq!(s["OS-EXT-STS:power_state"], 1);
    assert!(s["OS-EXT-STS:task_state"].is_null());
    assert!(s["OS-SRV-USG:launched_at"].as_str().unwrap().contains('.'));
    assert!(s["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(s["flavor"]["id"], FLAVOR_M1_TINY);
    assert_eq!(
        s["flavor"]["links"][0]["href"],
        format!("{}/compute/flavors/{FLAVOR_M1_TINY}", fake.base_url())
    );
    assert_eq!(s["image"]["id"], fake.image_id(IMAGE_CIRROS).unwrap());
    assert_eq!(s["key_name"], KEYPAIR_NAME);
    let private = s["addresses"][NETWORK_PRIVATE].as_array().unwrap();
    assert_eq!(private.len(), 1);
    assert_eq!(private[0]["OS-EXT-IPS:type"], "fixed");
    assert_eq!(private[0]["version"], 4);
    assert!(
        private[0]["OS-EXT-IPS-MAC:mac_addr"]
            .as_str()
            .unwrap()
            .starts_with("fa:16:3e:")
    );
    assert_eq!(s["security_groups"], json!([{"name": "default"}]));
    assert_eq!(
        s["links"][0]["href"],
        format!("{}/compute/v2.1/servers/{}", fake.base_url(), ids[0])
    );
    // Microversion headers are always echoed.
    assert_eq!(page1.headers["openstack-api-version"], "compute 2.1");
    assert_eq!(page1.headers["x-openstack-nova-api-version"], "2.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microversions_embed_the_flavor_from_2_47() {
    let fake = FakeOpenStack::start(options()).await;
    let ids = fake.seed(PROJECT, 2);
    let api = Api::new(&fake);
    let path = format!("/compute/v2.1/servers/{}", ids[1]);

    let old = api.get(&path).await;
    assert_eq!(old.body["server"]["flavor"]["id"], FLAVOR_M1_SMALL);

    let new = Api::new(&fake)
        .header("OpenStack-API-Version", "compute 2.47")
        .get(&path)
        .await;
    assert_eq!(new.status, 200);
    assert_eq!(new.headers["openstack-api-version"], "compute 2.47");
    assert_eq!(new.headers["x-openstack-nova-api-version"], "2.47");
    assert_eq!(
        new.body["server"]["flavor"],
        json!({"original_name": "m1.small", "vcpus": 2, "ram": 2048, "disk": 20,
               "ephemeral": 0, "swap": 0, "extra_specs": {}})
    );
    assert_eq!(new.body["server"]["locked"], false);
    assert_eq!(new.body["server"]["tags"], json!([]));

    let legacy = Api::new(&fake)
        .header("X-OpenStack-Nova-API-Version", "2.60")
        .get("/compute/v2.1/servers/detail")
        .await;
    assert_eq!(legacy.headers["openstack-api-version"], "compute 2.60");
    assert_eq!(
        legacy.body["servers"][0]["flavor"]["original_name"],
        "m1.small"
    );
    let latest = Api::new(&fake)
        .header("OpenStack-API-Version", "compute latest")
        .get(&path)
        .await;
    assert_eq!(latest.headers["openstack-api-version"], "compute 2.96");

    let too_new = Api::new(&fake)
        .header("OpenStack-API-Version", "compute 2.200")
        .get(&path)
        .await;
    assert_eq!(too_new.status, 406);
    assert_eq!(
        too_new.body["computeFault"]["message"],
        "Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.96."
    );
    let garbage = Api::new(&fake)
        .header("OpenStack-API-Version", "compute two")
        .get(&path)
        .await;
    assert_eq!(garbage.status, 400);

    // Flavors and key pairs.
    let flavors = api.get("/compute/v2.1/flavors/detail").await;
    let tiny = &flavors.body["flavors"][0];
    assert_eq!(tiny["name"], "m1.tiny");
    assert_eq!(tiny["vcpus"], 1);
    assert_eq!(tiny["swap"], "");
    assert_eq!(tiny["OS-FLV-EXT-DATA:ephemeral"], 0);
    let i4 = api
        .get(&format!("/compute/v2.1/flavors/{FLAVOR_I4_TINY}"))
        .await;
    assert_eq!(i4.body["flavor"]["name"], "i4.tiny");
    let brief = api.get("/compute/v2.1/flavors").await;
    assert!(brief.body["flavors"].as_array().unwrap().len() >= 4);
    let missing = api.get("/compute/v2.1/flavors/m1.tiny").await;
    assert_eq!(
        missing.body,
        json!({"itemNotFound": {"code": 404, "message": "Flavor m1.tiny could not be found."}})
    );
    let keypairs = Api::new(&fake)
        .header("OpenStack-API-Version", "compute 2.2")
        .get("/compute/v2.1/os-keypairs")
        .await;
    let kp = &keypairs.body["keypairs"][0]["keypair"];
    assert_eq!(kp["name"], KEYPAIR_NAME);
    assert_eq!(kp["type"], "ssh");
    let one = api
        .get(&format!("/compute/v2.1/os-keypairs/{KEYPAIR_NAME}"))
        .await;
    assert_eq!(one.body["keypair"]["name"], KEYPAIR_NAME);
    assert_eq!(api.get("/compute/v2.1/os-keypairs/nope").await.status, 404);
}

async fn create(api: &Api, server: Value) -> Answer {
    api.post("/compute/v2.1/servers", json!({ "server": server }))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_servers_build_then_run_and_deleted_ones_go_away() {
    let mut opts = options();
    opts.build_polls = 2;
    opts.delete_polls = 1;
    let fake = FakeOpenStack::start(opts).await;
    let api = Api::new(&fake).header("OpenStack-API-Version", "compute 2.47");
    let image = fake.image_id(IMAGE_CIRROS).unwrap();
    let network = fake.network_id(NETWORK_PRIVATE).unwrap();

    let created = create(
        &api,
        json!({
            "name": "web-1", "imageRef": image, "flavorRef": FLAVOR_M1_TINY,
            "networks": [{"uuid": network}], "key_name": KEYPAIR_NAME,
            "security_groups": [{"name": "ssh"}], "metadata": {"role": "web"},
            "user_data": "IyEvYmluL3NoCmVjaG8gaGkK",
        }),
    )
    .await;
    assert_eq!(created.status, 202, "{}", created.text);
    let id = created.body["server"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.body["server"]["security_groups"],
        json!([{"name": "ssh"}])
    );
    assert_eq!(
        created.body["server"]["adminPass"].as_str().unwrap().len(),
        12
    );
    assert_eq!(created.body["server"]["OS-DCF:diskConfig"], "MANUAL");
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("{}/compute/v2.1/servers/{id}", fake.base_url())
    );

    let path = format!("/compute/v2.1/servers/{id}");
    for _ in 0..2 {
        let s = api.get(&path).await.body["server"].clone();
        assert_eq!(s["status"], "BUILD");
        assert_eq!(s["OS-EXT-STS:vm_state"], "building");
        assert!(s["OS-SRV-USG:launched_at"].is_null());
        assert_eq!(s["addresses"], json!({}));
    }
    let s = api.get(&path).await.body["server"].clone();
    assert_eq!(s["status"], "ACTIVE");
    assert!(s["OS-SRV-USG:launched_at"].is_string());
    assert_eq!(s["metadata"], json!({"role": "web"}));
    assert_eq!(s["key_name"], KEYPAIR_NAME);
    assert_eq!(
        s["addresses"][NETWORK_PRIVATE][0]["OS-EXT-IPS:type"],
        "fixed"
    );
    assert_eq!(s["flavor"]["original_name"], "m1.tiny");
    assert_eq!(fake.server(&id).unwrap()["status"], "ACTIVE");

    // Its port in Neutron.
    let ports = api
        .get(&format!("/network/v2.0/ports?device_id={id}"))
        .await;
    let ports = ports.body["ports"].as_array().unwrap().clone();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["status"], "ACTIVE");
    assert_eq!(ports[0]["device_owner"], "compute:nova");
    assert_eq!(
        ports[0]["fixed_ips"][0]["ip_address"],
        s["addresses"][NETWORK_PRIVATE][0]["addr"]
    );

    let deleted = api.call("DELETE", &path, None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.text.is_empty());
    let listed = api.get("/compute/v2.1/servers/detail").await;
    assert_eq!(
        listed.body["servers"][0]["OS-EXT-STS:task_state"],
        "deleting"
    );
    let gone = api.get(&path).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body,
        json!({"itemNotFound": {"code": 404, "message": format!("Instance {id} could not be found.")}})
    );
    assert!(fake.server(&id).is_none());
    assert_eq!(api.call("DELETE", &path, None).await.status, 404);
    let ports = api
        .get(&format!("/network/v2.0/ports?device_id={id}"))
        .await;
    assert_eq!(ports.body["ports"], json!([]));

    // 2.37+: networks "auto"/"none", min/max count.
    let many = create(
        &api,
        json!({"name": "batch", "imageRef": image, "flavorRef": FLAVOR_M1_TINY,
               "networks": "none", "min_count": 2, "max_count": 3}),
    )
    .await;
    assert_eq!(many.status, 202, "{}", many.text);
    let listed = api.get("/compute/v2.1/servers?name=batch").await;
    let mut batch = names(&listed.body["servers"]);
    batch.sort();
    assert_eq!(batch, ["batch-1", "batch-2", "batch-3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_rejects_what_nova_rejects() {
    let fake = FakeOpenStack::start(options()).await;
    let api = Api::new(&fake).header("OpenStack-API-Version", "compute 2.47");
    let image = fake.image_id(IMAGE_CIRROS).unwrap();
    let network = fake.network_id(NETWORK_PRIVATE).unwrap();
    let external = fake.network_id(NETWORK_EXTERNAL).unwrap();
    let base = json!({"name": "x", "imageRef": image, "flavorRef": FLAVOR_M1_TINY,
                      "networks": [{"uuid": network}]});
    let with = |key: &str, value: Value| {
        let mut s = base.clone();
        s[key] = value;
        s
    };
    let cases = [
        (
            with("flavorRef", json!("999")),
            400,
            "Flavor 999 could not be found.",
        ),
        (
            with("imageRef", json!("6d3b1a40-0e7e-4ea8-a5f5-6d2b9ef0f111")),
            400,
            "Can not find requested image",
        ),
        (
            with(
                "networks",
                json!([{"uuid": "6d3b1a40-0e7e-4ea8-a5f5-6d2b9ef0f111"}]),
            ),
            400,
            "Network 6d3b1a40-0e7e-4ea8-a5f5-6d2b9ef0f111 could not be found.",
        ),
        (
            with("key_name", json!("nokey")),
            400,
            "Invalid key_name provided.",
        ),
        (
            with("security_groups", json!([{"name": "nosuch"}])),
            400,
            "Security group nosuch not found.",
        ),
        (
            with("user_data", json!("not base64!")),
            400,
            "Invalid input for field/attribute user_data. Value: not base64!. 'not base64!' is not a 'base64'",
        ),
        (
            with("networks", json!([{"uuid": external}])),
            403,
            &format!("It is not allowed to create an interface on external network {external}"),
        ),
    ];
    for (server, status, message) in cases {
        let answer = create(&api, server).await;
        assert_eq!(answer.status, status, "{}", answer.text);
        let key = if status == 400 {
            "badRequest"
        } else {
            "forbidden"
        };
        assert_eq!(answer.body[key]["message"], message);
        assert_eq!(answer.body[key]["code"], status);
    }
    let long = "A".repeat(65536);
    let answer = create(&api, with("user_data", json!(long))).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["badRequest"]["message"]
            .as_str()
            .unwrap()
            .ends_with("is too long")
    );
    let mut no_networks = base.clone();
    no_networks.as_object_mut().unwrap().remove("networks");
    let answer = create(&api, no_networks.clone()).await;
    assert_eq!(answer.status, 400, "networks is required from 2.37");
    let old = Api::new(&fake);
    assert_eq!(create(&old, no_networks).await.status, 202);
    assert!(fake.server_ids(PROJECT).len() == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_output_is_tailed_like_nova() {
    let fake = FakeOpenStack::start(options()).await;
    let ids = fake.seed(PROJECT, 1);
    let api = Api::new(&fake);
    let action = format!("/compute/v2.1/servers/{}/action", ids[0]);
    let default = api.post(&action, json!({"os-getConsoleOutput": {}})).await;
    assert_eq!(default.status, 200);
    assert!(
        default.body["output"]
            .as_str()
            .unwrap()
            .ends_with("lab-vm-001 login: ")
    );

    fake.console_set(&ids[0], "one\ntwo\nthree\nfour\n");
    let tail = api
        .post(&action, json!({"os-getConsoleOutput": {"length": 2}}))
        .await;
    assert_eq!(
        tail.body,
        json!({"output": "four\n"}),
        "the trailing newline counts"
    );
    let tail = api
        .post(&action, json!({"os-getConsoleOutput": {"length": "3"}}))
        .await;
    assert_eq!(tail.body["output"], "three\nfour\n");
    let all = api
        .post(&action, json!({"os-getConsoleOutput": {"length": null}}))
        .await;
    assert_eq!(all.body["output"], "one\ntwo\nthree\nfour\n");
    let bad = api
        .post(&action, json!({"os-getConsoleOutput": {"length": -5}}))
        .await;
    assert_eq!(bad.status, 400);
    let unknown = api
        .post(
            "/compute/v2.1/servers/6d3b1a40-0e7e-4ea8-a5f5-6d2b9ef0f111/action",
            json!({"os-getConsoleOutput": {}}),
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floating_ips_allocate_associate_disassociate_and_run_out() {
    let mut opts = options();
    opts.floating_pool_size = 2;
    let fake = FakeOpenStack::start(opts).await;
    let ids = fake.seed(PROJECT, 2);
    let api = Api::new(&fake).header("OpenStack-API-Version", "compute 2.47");
    let external = fake.network_id(NETWORK_EXTERNAL).unwrap();

    let networks = api.get("/network/v2.0/networks?router:external=True").await;
    assert_eq!(networks.status, 200, "{}", networks.text);
    let networks = networks.body["networks"].as_array().unwrap().clone();
    assert_eq!(networks.len(), 1);
    assert_eq!(networks[0]["name"], NETWORK_EXTERNAL);
    assert_eq!(networks[0]["router:external"], true);
    let subnet = api
        .get(&format!("/network/v2.0/subnets?network_id={external}"))
        .await;
    assert_eq!(
        subnet.body["subnets"][0]["allocation_pools"],
        json!([{"start": "172.24.4.10", "end": "172.24.4.11"}])
    );
    let bad_filter = api.get("/network/v2.0/networks?router_external=true").await;
    assert_eq!(bad_filter.status, 400);
    assert_eq!(bad_filter.body["NeutronError"]["type"], "HTTPBadRequest");
    let groups = api
        .get("/network/v2.0/security-groups?fields=name&fields=id")
        .await;
    let mut group_names: Vec<&str> = groups.body["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    group_names.sort();
    assert_eq!(group_names, ["default", "ssh"]);
    assert_eq!(
        groups.body["security_groups"][0].as_object().unwrap().len(),
        2
    );

    let allocate = json!({"floatingip": {"floating_network_id": external}});
    let first = api
        .post("/network/v2.0/floatingips", allocate.clone())
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let fip = first.body["floatingip"].clone();
    assert_eq!(fip["status"], "DOWN");
    assert!(fip["port_id"].is_null());
    assert_eq!(fip["floating_ip_address"], "172.24.4.10");
    let fip_id = fip["id"].as_str().unwrap().to_string();

    let port = api
        .get(&format!("/network/v2.0/ports?device_id={}", ids[0]))
        .await
        .body["ports"][0]
        .clone();
    let associate = api
        .call(
            "PUT",
            &format!("/network/v2.0/floatingips/{fip_id}"),
            Some(json!({"floatingip": {"port_id": port["id"]}})),
        )
        .await;
    assert_eq!(associate.status, 200, "{}", associate.text);
    let associated = &associate.body["floatingip"];
    assert_eq!(associated["status"], "ACTIVE");
    assert_eq!(associated["port_id"], port["id"]);
    assert_eq!(
        associated["fixed_ip_address"],
        port["fixed_ips"][0]["ip_address"]
    );
    assert_eq!(associated["port_details"]["device_id"], ids[0]);
    assert!(associated["router_id"].is_string());

    let server = api
        .get(&format!("/compute/v2.1/servers/{}", ids[0]))
        .await
        .body["server"]
        .clone();
    let addresses = server["addresses"][NETWORK_PRIVATE].as_array().unwrap();
    assert_eq!(addresses.len(), 2);
    assert_eq!(addresses[1]["OS-EXT-IPS:type"], "floating");
    assert_eq!(addresses[1]["addr"], "172.24.4.10");
    let by_port = api
        .get(&format!(
            "/network/v2.0/floatingips?port_id={}",
            port["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_port.body["floatingips"].as_array().unwrap().len(), 1);

    let second = api
        .post("/network/v2.0/floatingips", allocate.clone())
        .await;
    assert_eq!(second.status, 201);
    let exhausted = api
        .post("/network/v2.0/floatingips", allocate.clone())
        .await;
    assert_eq!(exhausted.status, 409);
    assert_eq!(
        exhausted.body,
        json!({"NeutronError": {"type": "IpAddressGenerationFailure",
            "message": format!("No more IP addresses available on network {external}."),
            "detail": ""}})
    );

    let disassociate = api
        .call(
            "PUT",
            &format!("/network/v2.0/floatingips/{fip_id}"),
            Some(json!({"floatingip": {"port_id": null}})),
        )
        .await;
    assert_eq!(disassociate.body["floatingip"]["status"], "DOWN");
    assert!(disassociate.body["floatingip"]["fixed_ip_address"].is_null());
    assert!(disassociate.body["floatingip"]["port_details"].is_null());
    let server = api
        .get(&format!("/compute/v2.1/servers/{}", ids[0]))
        .await
        .body["server"]
        .clone();
    assert_eq!(
        server["addresses"][NETWORK_PRIVATE]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    assert_eq!(fake.floating_ips().len(), 2);
    let path = format!("/network/v2.0/floatingips/{fip_id}");
    assert_eq!(api.call("DELETE", &path, None).await.status, 204);
    let again = api.call("DELETE", &path, None).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.body["NeutronError"]["type"], "FloatingIPNotFound");
    assert_eq!(
        api.post("/network/v2.0/floatingips", allocate).await.status,
        201,
        "a released address is free again"
    );

    // Neutron pagination.
    let paged = api.get("/network/v2.0/networks?limit=1").await;
    assert_eq!(paged.body["networks"].as_array().unwrap().len(), 1);
    let next = next_href(&paged.body, "networks_links").unwrap();
    let page2 = api.get(&next).await;
    assert_eq!(page2.body["networks"].as_array().unwrap().len(), 1);
    assert_ne!(
        page2.body["networks"][0]["id"],
        paged.body["networks"][0]["id"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glance_pages_by_25_with_next_links() {
    let fake = FakeOpenStack::start(options()).await;
    let api = Api::new(&fake);
    let first = api.get("/image/v2/images").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["images"].as_array().unwrap().len(), 25);
    assert_eq!(first.body["first"], "/v2/images");
    assert_eq!(first.body["schema"], "/v2/schemas/images");
    let next = first.body["next"].as_str().unwrap().to_string();
    assert!(next.starts_with("/v2/images?marker="), "{next}");
    let second = api.get(&format!("/image{next}")).await;
    assert_eq!(
        second.body["images"].as_array().unwrap().len(),
        IMAGE_COUNT - 25
    );
    assert!(second.body.get("next").is_none());
    let image = &first.body["images"][0];
    assert_eq!(image["status"], "active");
    assert_eq!(image["visibility"], "public");
    assert_eq!(
        image["self"],
        format!("/v2/images/{}", image["id"].as_str().unwrap())
    );

    let by_name = api
        .get(&format!("/image/v2/images?name={IMAGE_CIRROS}"))
        .await;
    assert_eq!(by_name.body["images"][0]["name"], IMAGE_CIRROS);
    let cirros = fake.image_id(IMAGE_CIRROS).unwrap();
    let by_ids = api.get(&format!("/image/v2/images?id=in:{cirros}")).await;
    assert_eq!(by_ids.body["images"].as_array().unwrap().len(), 1);
    let limited = api
        .get("/image/v2/images?limit=10&sort_key=name&sort_dir=asc")
        .await;
    assert_eq!(
        limited.body["next"].as_str().unwrap(),
        format!(
            "/v2/images?limit=10&sort_key=name&sort_dir=asc&marker={}",
            limited.body["images"][9]["id"].as_str().unwrap()
        )
    );
    let one = api.get(&format!("/image/v2/images/{cirros}")).await;
    assert_eq!(one.body["name"], IMAGE_CIRROS);
    let missing = api.get("/image/v2/images/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], "404 Not Found");
    assert_eq!(missing.body["title"], "Not Found");

    // A community image: shown by id, left out of the default listing.
    let ubuntu = fake.image_id(IMAGE_UBUNTU).unwrap();
    fake.world()
        .images
        .iter_mut()
        .find(|i| i.id == ubuntu)
        .unwrap()
        .visibility = "community".into();
    let both = format!("/image/v2/images?id=in:{cirros},{ubuntu}");
    let listed = api.get(&both).await;
    assert_eq!(listed.body["images"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["images"][0]["id"], cirros.as_str());
    let all = api.get(&format!("{both}&visibility=all")).await;
    assert_eq!(all.body["images"].as_array().unwrap().len(), 2);
    let shown = api.get(&format!("/image/v2/images/{ubuntu}")).await;
    assert_eq!(shown.body["visibility"], "community");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_failures_use_each_services_error_body() {
    let fake = FakeOpenStack::start(options()).await;
    let api = Api::new(&fake);
    fake.fail(Service::Compute, 500);
    fake.fail(Service::Network, 503);
    fake.fail(Service::Image, 500);
    fake.fail(Service::Metric, 503);

    let nova = api.get("/compute/v2.1/servers/detail").await;
    assert_eq!(nova.status, 500);
    assert_eq!(nova.body["computeFault"]["code"], 500);
    assert!(
        nova.body["computeFault"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Unexpected API Error.")
    );
    let neutron = api.get("/network/v2.0/floatingips").await;
    assert_eq!(neutron.status, 503);
    assert_eq!(
        neutron.body["NeutronError"]["type"],
        "HTTPServiceUnavailable"
    );
    let glance = api.get("/image/v2/images").await;
    assert_eq!(glance.status, 500);
    assert_eq!(glance.body["code"], "500 Internal Server Error");
    // webob picks JSON, HTML or plain text by Accept.
    let glance_plain = Api {
        headers: vec![("Accept".into(), "text/plain".into())],
        ..Api::new(&fake)
    }
    .get("/image/v2/images")
    .await;
    assert!(
        glance_plain
            .text
            .starts_with("500 Internal Server Error\n\n")
    );
    let glance_html = Api {
        headers: vec![("Accept".into(), "*/*".into())],
        ..Api::new(&fake)
    }
    .get("/image/v2/images")
    .await;
    assert!(glance_html.text.starts_with("<html>"));
    let gnocchi = api.get("/metric/v1/archive_policy").await;
    assert_eq!(gnocchi.status, 503);
    assert_eq!(gnocchi.body["code"], 503);
    assert_eq!(gnocchi.body["title"], "Service Unavailable");
    fake.fail(Service::Compute, 401);
    assert_eq!(
        api.get("/compute/v2.1/flavors").await.body["error"]["code"],
        401
    );

    fake.clear_failures();
    assert_eq!(api.get("/compute/v2.1/servers/detail").await.status, 200);
    assert_eq!(api.get("/network/v2.0/floatingips").await.status, 200);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 503, 500, 500, 500, 503, 401, 200, 200]);
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gnocchi_aggregates_rate_of_cpu_for_several_servers() {
    let fake = FakeOpenStack::start(options()).await;
    let ids = fake.seed(PROJECT, 3);
    let other = fake.seed("another-project", 1);
    // lab-vm-001 m1.tiny (1 vCPU), lab-vm-002 m1.small (2), lab-vm-003 i4.tiny (1).
    let vcpus = [1.0, 2.0, 1.0];
    let percents = [25.0, 50.0, 80.0];
    for (id, p) in ids.iter().zip(percents) {
        fake.set_cpu_percent(id, p);
    }
    let api = Api::new(&fake);
    let body = json!({
        "resource_type": "instance",
        "search": {"in": {"id": [ids[0], ids[1], ids[2], other[0]]}},
        "operations": "(metric cpu rate:mean)",
    });
    let answer = api
        .post(
            "/metric/v1/aggregates?granularity=60&start=-15min",
            body.clone(),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let measures = answer.body["measures"].as_object().unwrap();
    assert_eq!(
        measures.len(),
        3,
        "the other project's server is not visible"
    );
    for (i, id) in ids.iter().enumerate() {
        let points = measures[id]["cpu"]["rate:mean"].as_array().unwrap();
        // Every seeded server was launched before the window.
        assert!((15..=16).contains(&points.len()), "{} points", points.len());
        let expected = percents[i] / 100.0 * vcpus[i] * 60.0 * 1e9;
        for p in points {
            let ts = p[0].as_str().unwrap();
            assert!(ts.ends_with(":00+00:00"), "{ts}");
            assert_eq!(p[1], json!(60.0));
            assert!(
                approx(p[2].as_f64().unwrap(), expected),
                "{p} vs {expected}"
            );
        }
    }

    // List form, aggregate across servers, by name and with a string search.
    let mean = api
        .post(
            "/metric/v1/aggregates?granularity=10&start=-5min",
            json!({
                "resource_type": "instance",
                "search": format!("project_id = '{PROJECT}'"),
                "operations": ["aggregate", "sum", ["metric", "cpu", "rate:mean"]],
            }),
        )
        .await;
    assert_eq!(mean.status, 200, "{}", mean.text);
    let summed: f64 = (0..3)
        .map(|i| percents[i] / 100.0 * vcpus[i] * 10.0 * 1e9)
        .sum();
    let aggregated = mean.body["measures"]["aggregated"].as_array().unwrap();
    assert!(aggregated.len() >= 29);
    assert!(approx(aggregated[5][2].as_f64().unwrap(), summed));

    // Network interfaces, found by instance_id.
    fake.set_net_in_rate(&ids[1], 1234.0);
    let nic = api
        .post(
            "/metric/v1/aggregates?granularity=60&start=-10min&groupby=instance_id",
            json!({
                "resource_type": "instance_network_interface",
                "search": {"=": {"instance_id": ids[1]}},
                "operations": "(metric network.incoming.bytes rate:mean)",
            }),
        )
        .await;
    assert_eq!(nic.status, 200, "{}", nic.text);
    let groups = nic.body.as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["group"], json!({"instance_id": ids[1]}));
    let rid = fake.interface_resource_id(&ids[1]).unwrap();
    let points = groups[0]["measures"]["measures"][&rid]["network.incoming.bytes"]["rate:mean"]
        .as_array()
        .unwrap();
    assert!(approx(points[0][2].as_f64().unwrap(), 1234.0 * 60.0));

    // Without a granularity: every granularity of the policy, coarsest first.
    let all = api
        .post(
            "/metric/v1/aggregates?start=-2min",
            json!({"resource_type": "instance", "search": {"=": {"id": ids[0]}},
                   "operations": "(metric vcpus mean)"}),
        )
        .await;
    let points = all.body["measures"][&ids[0]]["vcpus"]["mean"]
        .as_array()
        .unwrap();
    let grans: Vec<f64> = points.iter().map(|p| p[1].as_f64().unwrap()).collect();
    assert!(grans.windows(2).all(|w| w[0] >= w[1]), "{grans:?}");
    assert!(grans.contains(&10.0) && grans.contains(&60.0));

    // Granularity the archive policy lacks.
    let bad = api
        .post("/metric/v1/aggregates?granularity=300", body.clone())
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["code"], 400);
    assert_eq!(bad.body["title"], "Bad Request");
    assert_eq!(
        bad.body["description"]["cause"],
        "Metrics cannot be aggregated"
    );
    assert_eq!(
        bad.body["description"]["reason"],
        "Granularities are missing"
    );
    assert_eq!(
        bad.body["description"]["detail"][0],
        json!(["cpu", "rate:mean", 300.0])
    );
    // An aggregation method the (gauge) policy lacks.
    let unknown = api
        .post(
            "/metric/v1/aggregates?granularity=60",
            json!({"resource_type": "instance", "search": {"=": {"id": ids[0]}},
                   "operations": "(metric memory.usage rate:mean)"}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.body["description"]["cause"],
        "Metrics with unknown aggregation"
    );
    // Nothing matches.
    let none = api
        .post(
            "/metric/v1/aggregates?granularity=60",
            json!({"resource_type": "instance", "search": {"=": {"id": "6d3b1a40-0e7e-4ea8-a5f5-6d2b9ef0f111"}},
                   "operations": "(metric cpu rate:mean)"}),
        )
        .await;
    assert_eq!(none.status, 404);
    assert_eq!(none.body["description"], "Metric ['cpu'] does not exist");
    let unparsable = api
        .post("/metric/v1/aggregates", json!({"operations": "metric cpu"}))
        .await;
    assert_eq!(unparsable.status, 400);
    assert_eq!(
        unparsable.body["description"]["cause"],
        "Invalid operations"
    );

    // Resources, metrics, measures and archive policies.
    let resource = api
        .get(&format!("/metric/v1/resource/instance/{}", ids[0]))
        .await;
    assert_eq!(resource.status, 200);
    assert_eq!(resource.body["display_name"], "lab-vm-001");
    let cpu_id = resource.body["metrics"]["cpu"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        Some(cpu_id.clone()),
        fake.instance_metric_id(&ids[0], "cpu")
    );
    let metric = api.get(&format!("/metric/v1/metric/{cpu_id}")).await;
    assert_eq!(metric.body["name"], "cpu");
    assert_eq!(metric.body["unit"], "ns");
    let policy = &metric.body["archive_policy"];
    assert_eq!(policy["aggregation_methods"], json!(["mean", "rate:mean"]));
    assert_eq!(
        policy["definition"][0],
        json!({"granularity": "0:00:10", "points": 8640, "timespan": "1 day, 0:00:00"})
    );
    assert_eq!(policy["definition"][2]["granularity"], "1:00:00");
    let measures = api
        .get(&format!(
            "/metric/v1/metric/{cpu_id}/measures?aggregation=rate:mean&granularity=60&start=-10min"
        ))
        .await;
    let measures = measures.body.as_array().unwrap();
    assert!(!measures.is_empty());
    assert!(approx(measures[0][2].as_f64().unwrap(), 0.25 * 60e9));
    let found = api
        .post(
            "/metric/v1/search/resource/instance_network_interface",
            json!({"=": {"instance_id": ids[2]}}),
        )
        .await;
    assert_eq!(found.body.as_array().unwrap().len(), 1);
    assert_eq!(found.body[0]["instance_id"], ids[2]);
    let named = api
        .get("/metric/v1/archive_policy/ceilometer-low-rate")
        .await;
    assert_eq!(named.body["name"], "ceilometer-low-rate");
    assert_eq!(api.get("/metric/v1/archive_policy/nope").await.status, 404);
}

// ---------------------------------------------------------------------------
// The real `openstack` CLI against the fakes, with a real Keystone.

fn openstack_cli() -> std::path::PathBuf {
    support::keystone::venv().join("bin").join("openstack")
}

/// Runs `openstack <args>` with the student's credentials in `region`.
fn run_cli(region: &str, home: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let keystone = support::keystone::Keystone::shared();
    let student = keystone.student();
    let output = std::process::Command::new(openstack_cli())
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("OS_AUTH_URL", keystone.auth_url())
        .env("OS_USERNAME", &student.user_name)
        .env("OS_PASSWORD", &student.password)
        .env("OS_PROJECT_NAME", &student.project_name)
        .env("OS_USER_DOMAIN_NAME", &student.domain_name)
        .env("OS_PROJECT_DOMAIN_NAME", &student.domain_name)
        .env("OS_REGION_NAME", region)
        .env("OS_IDENTITY_API_VERSION", "3")
        .env("OS_INTERFACE", "public")
        .env("PYTHONWARNINGS", "ignore")
        .current_dir(home)
        .output()
        .expect("run the openstack CLI");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn cli(region: &str, home: &std::path::Path, args: &[&str]) -> String {
    let region = region.to_string();
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run_cli(&region, &home, &refs)
    })
    .await
    .expect("join");
    assert!(
        ok,
        "openstack failed:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_openstack_cli_is_happy_with_the_fakes() {
    let keystone = tokio::task::spawn_blocking(support::keystone::Keystone::shared)
        .await
        .expect("keystone");
    let admin = keystone.admin().clone();
    let student = keystone.student().clone();
    let mut opts = FakeOptions::with(TokenCheck::Keystone {
        auth_url: keystone.auth_url(),
        admin_user: admin.user_name.clone(),
        admin_password: admin.password.clone(),
        admin_project: admin.project_name.clone(),
        domain: admin.domain_name.clone(),
    });
    opts.build_polls = 1;
    let fake = FakeOpenStack::start(opts).await;
    let region = format!("osc-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    // The CLI also needs Keystone itself in the region's catalog.
    let mut endpoints = fake.endpoints();
    endpoints.push(("identity", keystone.auth_url()));
    {
        let region = region.clone();
        tokio::task::spawn_blocking(move || {
            let pairs: Vec<(&str, &str)> =
                endpoints.iter().map(|(t, u)| (*t, u.as_str())).collect();
            support::keystone::Keystone::shared().register_region(&region, &pairs);
        })
        .await
        .expect("register region");
    }
    let ids = fake.seed(&student.project_id, 3);
    let home = tempfile::tempdir().expect("home");
    let home = home.path();

    // server list
    let listed = json_of(&cli(&region, home, &["server", "list", "-f", "json"]).await);
    let rows = listed.as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{listed}");
    let ui: Vec<&str> = rows.iter().map(|r| r["Name"].as_str().unwrap()).collect();
    assert_eq!(ui, ["lab-vm-003", "lab-vm-002", "lab-vm-001"]);
    assert_eq!(rows[2]["ID"], ids[0]);
    assert_eq!(rows[2]["Status"], "ACTIVE");
    assert_eq!(rows[2]["Flavor"], "m1.tiny");
    assert_eq!(rows[2]["Image"], IMAGE_CIRROS);
    let networks = rows[2]["Networks"].to_string();
    assert!(
        networks.contains(NETWORK_PRIVATE) && networks.contains("10.0."),
        "{networks}"
    );
    assert!(fake.requests().iter().all(|r| r.status < 500));

    // server show
    let shown = json_of(&cli(&region, home, &["server", "show", &ids[1], "-f", "json"]).await);
    assert_eq!(shown["id"], ids[1]);
    assert_eq!(shown["name"], "lab-vm-002");
    assert_eq!(shown["status"], "ACTIVE");
    assert!(
        shown["flavor"].to_string().contains("m1.small"),
        "{}",
        shown["flavor"]
    );

    // console log
    fake.console_set(&ids[0], "l1\nl2\nl3\nl4\nl5\nl6\nl7");
    let log = cli(
        &region,
        home,
        &["console", "log", "show", "--lines", "5", &ids[0]],
    )
    .await;
    assert_eq!(log.trim_end(), "l3\nl4\nl5\nl6\nl7");

    // floating ips
    let external = fake.network_id(NETWORK_EXTERNAL).unwrap();
    let created = json_of(
        &cli(
            &region,
            home,
            &["floating", "ip", "create", NETWORK_EXTERNAL, "-f", "json"],
        )
        .await,
    );
    assert_eq!(created["floating_network_id"], external);
    let fips = json_of(&cli(&region, home, &["floating", "ip", "list", "-f", "json"]).await);
    assert_eq!(fips.as_array().unwrap().len(), 1, "{fips}");
    assert_eq!(
        fips[0]["Floating IP Address"],
        created["floating_ip_address"]
    );
    cli(
        &region,
        home,
        &[
            "server",
            "add",
            "floating",
            "ip",
            &ids[0],
            created["floating_ip_address"].as_str().unwrap(),
        ],
    )
    .await;
    let fips = fake.floating_ips();
    assert!(fips[0]["port_id"].is_string(), "{fips:?}");
    let server = fake.server(&ids[0]).unwrap();
    assert_eq!(
        server["addresses"][NETWORK_PRIVATE][1]["OS-EXT-IPS:type"],
        "floating"
    );

    // images (all pages), flavors, external networks, key pairs, security groups
    let images = json_of(&cli(&region, home, &["image", "list", "-f", "json"]).await);
    assert_eq!(images.as_array().unwrap().len(), IMAGE_COUNT);
    let flavors = json_of(&cli(&region, home, &["flavor", "list", "-f", "json"]).await);
    let flavor_names: Vec<&str> = flavors
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Name"].as_str().unwrap())
        .collect();
    assert!(flavor_names.contains(&"m1.tiny") && flavor_names.contains(&"i4.tiny"));
    let nets = json_of(
        &cli(
            &region,
            home,
            &["network", "list", "--external", "-f", "json"],
        )
        .await,
    );
    assert_eq!(nets.as_array().unwrap().len(), 1);
    assert_eq!(nets[0]["Name"], NETWORK_EXTERNAL);
    let keys = json_of(&cli(&region, home, &["keypair", "list", "-f", "json"]).await);
    assert_eq!(keys[0]["Name"], KEYPAIR_NAME);
    let groups = json_of(&cli(&region, home, &["security", "group", "list", "-f", "json"]).await);
    assert_eq!(groups.as_array().unwrap().len(), 2);

    // create (waiting for ACTIVE) and delete
    let made = json_of(
        &cli(
            &region,
            home,
            &[
                "server",
                "create",
                "--image",
                IMAGE_CIRROS,
                "--flavor",
                "m1.tiny",
                "--network",
                NETWORK_PRIVATE,
                "--key-name",
                KEYPAIR_NAME,
                "--security-group",
                "ssh",
                "--wait",
                "-f",
                "json",
                "cli-vm",
            ],
        )
        .await,
    );
    assert_eq!(made["status"], "ACTIVE", "{made}");
    let made_id = made["id"].as_str().unwrap().to_string();
    assert_eq!(fake.server(&made_id).unwrap()["name"], "cli-vm");
    cli(&region, home, &["server", "delete", &made_id]).await;
    let ids_now = fake.server_ids(&student.project_id);
    let deleting = fake.server(&made_id);
    assert!(
        deleting.is_none() || deleting.unwrap()["OS-EXT-STS:task_state"] == "deleting",
        "{ids_now:?}"
    );

    for r in fake.requests() {
        eprintln!(
            "DEBUG {} {} {}?{} -> {}",
            r.service.service_type(),
            r.method,
            r.path,
            r.query,
            r.status
        );
    }
    // No request the fakes could not serve.
    let failed: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.status >= 500 || r.status == 401 || r.status == 405)
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}
