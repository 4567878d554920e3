//! Issue 11 on OpenStack: stop, start, reboot, shelve and unshelve through
//! the provider, against the real Keystone and the Nova fake (the `Lab` of
//! `openstack.rs`). The fake moves a server through Nova's task states one
//! listing per step (`action_polls` 1) and refuses what Nova refuses, with
//! Nova's texts (`nova/api/openstack/common.py`
//! `raise_http_conflict_for_instance_invalid_state`).

use hytop::cloud::openstack::OpenStackProvider;
use hytop::cloud::{PowerAction, PowerOutcome, Provider};
use hytop::domain::model::InstanceState;
use hytop_testkit::openstack::{FakeOpenStack, FakeOptions};
use serde_json::{Value, json};

use crate::openstack::Lab;

/// What one listing says of a server: hytop's state, Nova's status and
/// task_state.
async fn seen(provider: &OpenStackProvider, id: &str) -> (InstanceState, String, Option<String>) {
    let listed = provider.list_instances().await.expect("listing");
    let me = listed.iter().find(|i| i.id == id).expect("listed");
    let task = me
        .extra
        .iter()
        .find(|(k, _)| *k == "task")
        .map(|(_, v)| v.to_string());
    (me.state, me.raw_state.to_string(), task)
}

/// Listings until the server shows no task, each one's view (at most 6).
async fn steps(
    provider: &OpenStackProvider,
    id: &str,
) -> Vec<(InstanceState, String, Option<String>)> {
    let mut out = Vec::new();
    for _ in 0..6 {
        let step = seen(provider, id).await;
        let settled = step.2.is_none();
        out.push(step);
        if settled {
            break;
        }
    }
    out
}

fn step(
    state: InstanceState,
    status: &str,
    task: Option<&str>,
) -> (InstanceState, String, Option<String>) {
    (state, status.to_string(), task.map(str::to_string))
}

async fn power_one(provider: &OpenStackProvider, id: &str, action: PowerAction) {
    let outcomes = provider.power(&[id.to_string()], action).await;
    assert_eq!(
        outcomes,
        vec![PowerOutcome {
            instance_id: id.to_string(),
            result: Ok(())
        }],
        "{action:?}"
    );
}

/// The bodies of the action requests the fake received, in order.
fn action_bodies(lab: &Lab) -> Vec<(String, u16, Value)> {
    lab.fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/action"))
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
            (r.path, r.status, body)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_goes_through_powering_off_to_shutoff_and_start_back_to_active() {
    let lab = Lab::start(|_| {}, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 1);
    let id = &ids[0];
    let provider = lab.password_provider();
    assert_eq!(seen(&provider, id).await.0, InstanceState::Running);

    power_one(&provider, id, PowerAction::Stop).await;
    assert_eq!(
        steps(&provider, id).await,
        vec![
            step(InstanceState::Stopping, "ACTIVE", Some("powering-off")),
            step(InstanceState::Stopped, "SHUTOFF", None),
        ]
    );
    let server = lab.fake.server(id).unwrap();
    assert_eq!(server["OS-EXT-STS:vm_state"], "stopped");
    assert_eq!(server["OS-EXT-STS:power_state"], 4);

    power_one(&provider, id, PowerAction::Start).await;
    assert_eq!(
        steps(&provider, id).await,
        vec![
            step(InstanceState::Pending, "SHUTOFF", Some("powering-on")),
            step(InstanceState::Running, "ACTIVE", None),
        ]
    );
    let server = lab.fake.server(id).unwrap();
    assert_eq!(server["OS-EXT-STS:vm_state"], "active");
    assert_eq!(server["OS-EXT-STS:power_state"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_and_hard_reboots_come_back_active_and_only_hard_starts_a_stopped_server() {
    let lab = Lab::start(|_| {}, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 1);
    let id = &ids[0];
    let provider = lab.password_provider();

    power_one(&provider, id, PowerAction::Reboot).await;
    assert_eq!(
        steps(&provider, id).await,
        vec![
            step(InstanceState::Pending, "REBOOT", Some("rebooting")),
            step(InstanceState::Running, "ACTIVE", None),
        ]
    );
    power_one(&provider, id, PowerAction::HardReboot).await;
    assert_eq!(
        steps(&provider, id).await,
        vec![
            step(
                InstanceState::Pending,
                "HARD_REBOOT",
                Some("rebooting_hard")
            ),
            step(InstanceState::Running, "ACTIVE", None),
        ]
    );

    power_one(&provider, id, PowerAction::Stop).await;
    steps(&provider, id).await;
    // `_soft_reboot` allows vm_state active only; `_hard_reboot` also
    // stopped, and a hard reboot ends active.
    let soft = provider
        .power(std::slice::from_ref(id), PowerAction::Reboot)
        .await;
    let err = soft[0].result.clone().unwrap_err();
    assert_eq!(err.code.as_deref(), Some("409 conflictingRequest"));
    assert_eq!(
        err.message,
        format!("Cannot 'reboot' instance {id} while it is in vm_state stopped")
    );
    power_one(&provider, id, PowerAction::HardReboot).await;
    assert_eq!(
        steps(&provider, id).await,
        vec![
            step(InstanceState::Pending, "SHUTOFF", Some("rebooting_hard")),
            step(InstanceState::Running, "ACTIVE", None),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shelve_offloads_and_unshelve_comes_back_active() {
    let lab = Lab::start(|_| {}, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 1);
    let id = &ids[0];
    let provider = lab.password_provider();

    power_one(&provider, id, PowerAction::Shelve).await;
    assert_eq!(
        steps(&provider, id).await,
        vec![
            step(InstanceState::Stopping, "ACTIVE", Some("shelving")),
            step(
                InstanceState::Stopping,
                "SHELVED",
                Some("shelving_offloading")
            ),
            step(InstanceState::Stopped, "SHELVED_OFFLOADED", None),
        ]
    );
    let server = lab.fake.server(id).unwrap();
    assert_eq!(server["OS-EXT-STS:vm_state"], "shelved_offloaded");
    assert_eq!(server["hostId"], "", "offloaded: on no host");
    let (state, _, _) = seen(&provider, id).await;
    assert!(!state.is_live(), "offloaded, it holds nothing: {state:?}");

    // Off its host a server cannot be stopped or started:
    // check_instance_host comes before the vm_state check.
    let start = provider
        .power(std::slice::from_ref(id), PowerAction::Start)
        .await;
    let err = start[0].result.clone().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("409 conflictingRequest: Instance {id} is not ready")
    );

    power_one(&provider, id, PowerAction::Unshelve).await;
    assert_eq!(
        steps(&provider, id).await,
        vec![
            step(
                InstanceState::Pending,
                "SHELVED_OFFLOADED",
                Some("unshelving")
            ),
            step(
                InstanceState::Pending,
                "SHELVED_OFFLOADED",
                Some("spawning")
            ),
            step(InstanceState::Running, "ACTIVE", None),
        ]
    );
    let server = lab.fake.server(id).unwrap();
    assert_ne!(server["hostId"], "", "placed again");

    // A stopped server shelves too, and unshelves to ACTIVE.
    power_one(&provider, id, PowerAction::Stop).await;
    steps(&provider, id).await;
    power_one(&provider, id, PowerAction::Shelve).await;
    assert_eq!(
        steps(&provider, id).await.first(),
        Some(&step(InstanceState::Stopping, "SHUTOFF", Some("shelving")))
    );
    let again = provider
        .power(std::slice::from_ref(id), PowerAction::Shelve)
        .await;
    assert_eq!(
        again[0].result.clone().unwrap_err().message,
        format!("Cannot 'shelve' instance {id} while it is in vm_state shelved_offloaded")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_server_gets_its_own_outcome_and_a_409_keeps_novas_text() {
    let lab = Lab::start(|_| {}, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 6);
    let provider = lab.password_provider();
    power_one(&provider, &ids[1], PowerAction::Stop).await;
    steps(&provider, &ids[1]).await;
    power_one(&provider, &ids[3], PowerAction::Stop).await;
    // ids[3] is still powering off (no listing since).

    let mut asked = ids.clone();
    let missing = "3f0c9b1e-7a2d-4c55-9e61-0d2b8a7c4f10".to_string();
    asked.insert(5, missing.clone());
    let outcomes = provider.power(&asked, PowerAction::Stop).await;
    let order: Vec<&str> = outcomes.iter().map(|o| o.instance_id.as_str()).collect();
    let want: Vec<&str> = asked.iter().map(String::as_str).collect();
    assert_eq!(order, want, "one outcome per id, in the order given");
    for (i, outcome) in outcomes.iter().enumerate() {
        let id = &asked[i];
        match i {
            1 => assert_eq!(
                outcome.result.clone().unwrap_err().to_string(),
                format!(
                    "409 conflictingRequest: Cannot 'stop' instance {id} while it is in vm_state stopped"
                )
            ),
            3 => assert_eq!(
                outcome.result.clone().unwrap_err().message,
                format!("Cannot 'stop' instance {id} while it is in task_state powering-off")
            ),
            5 => assert_eq!(
                outcome.result.clone().unwrap_err().to_string(),
                format!("404 itemNotFound: Instance {missing} could not be found.")
            ),
            _ => assert_eq!(outcome.result, Ok(()), "{id}"),
        }
    }
    // The refusals changed nothing; the others are powering off.
    let listed = provider.list_instances().await.unwrap();
    let state = |id: &str| listed.iter().find(|i| i.id == id).unwrap().state;
    assert_eq!(state(&ids[1]), InstanceState::Stopped);
    for i in [0, 2, 3, 4, 5] {
        assert_eq!(state(&ids[i]), InstanceState::Stopping, "{i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bodies_sent_are_the_api_ref_samples_and_nova_answers_202() {
    let lab = Lab::start(|o| o.action_polls = 0, true).await;
    let ids = lab.fake.seed(&lab.user.project_id, 1);
    let id = &ids[0];
    let provider = lab.password_provider();
    // With action_polls 0 every action settles at once, so the sequence
    // below is allowed step after step.
    let sequence = [
        PowerAction::Stop,
        PowerAction::Start,
        PowerAction::Reboot,
        PowerAction::HardReboot,
        PowerAction::Shelve,
        PowerAction::Unshelve,
    ];
    for action in sequence {
        power_one(&provider, id, action).await;
    }
    // doc/api_samples/servers/server-action-{stop,start,reboot}.json and
    // doc/api_samples/os-shelve/os-{shelve,unshelve}.json.
    let samples = [
        r#"{"os-stop" : null}"#,
        r#"{"os-start" : null}"#,
        r#"{"reboot" : {"type" : "SOFT"}}"#,
        r#"{"reboot" : {"type" : "HARD"}}"#,
        r#"{"shelve": null}"#,
        r#"{"unshelve": null}"#,
    ];
    let got = action_bodies(&lab);
    assert_eq!(got.len(), samples.len(), "{got:?}");
    for ((path, status, body), sample) in got.iter().zip(samples) {
        let want: Value = serde_json::from_str(sample).unwrap();
        assert_eq!(body, &want);
        assert_eq!(path, &format!("/compute/v2.1/servers/{id}/action"));
        assert_eq!(*status, 202);
    }
    assert_eq!(
        lab.fake.server(id).unwrap()["status"],
        json!("ACTIVE"),
        "back where it started"
    );
}

/// `POST /compute/v2.1/servers/{id}/action` straight to the fake (any
/// token), at microversion `mv`: its status and JSON body.
async fn post_action(fake: &FakeOpenStack, id: &str, mv: &str, body: &str) -> (u16, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .post(format!(
            "{}/compute/v2.1/servers/{id}/action",
            fake.base_url()
        ))
        .header("X-Auth-Token", "any-token")
        .header("OpenStack-API-Version", format!("compute {mv}"))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fake_validates_action_bodies_as_novas_schemas_do() {
    const PROJECT: &str = "4b1c2d3e4f5a46b7c8d9e0f1a2b3c4d5";
    let fake = FakeOpenStack::start(FakeOptions::any_token(PROJECT)).await;
    let id = &fake.seed(PROJECT, 1)[0];
    let bad = |message: String| json!({"badRequest": {"code": 400, "message": message}});
    let one_of = "['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']";
    assert_eq!(
        post_action(&fake, id, "2.47", r#"{"reboot": {"type": "sideways"}}"#).await,
        (
            400,
            bad(format!(
                "Invalid input for field/attribute type. Value: sideways. 'sideways' is not one of {one_of}"
            ))
        )
    );
    assert_eq!(
        post_action(&fake, id, "2.47", r#"{"reboot": {}}"#).await,
        (
            400,
            bad("Invalid input for field/attribute reboot. Value: {}. 'type' is a required property".into())
        )
    );
    assert_eq!(
        post_action(&fake, id, "2.47", r#"{"os-stop": null, "os-start": null}"#).await,
        (400, bad("Malformed request body".into()))
    );
    // From 2.77 an unshelve object must name the availability zone.
    assert_eq!(
        post_action(&fake, id, "2.77", r#"{"unshelve": {}}"#)
            .await
            .0,
        400
    );
    // The schema's enum allows the lower-case type; a 202 has no body.
    assert_eq!(
        post_action(&fake, id, "2.47", r#"{"reboot": {"type": "soft"}}"#).await,
        (202, Value::Null)
    );
    assert_eq!(
        post_action(&fake, id, "2.47", r#"{"os-start": null}"#).await,
        (
            409,
            json!({"conflictingRequest": {"code": 409, "message": format!(
                "Cannot 'start' instance {id} while it is in vm_state active"
            )}})
        )
    );
}
