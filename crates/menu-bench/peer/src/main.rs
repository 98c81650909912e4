//! `menu-bench-peer [--smoke]`: the call-overhead benchmark with three sides, the SDK, the client
//! openapi-generator generates from the same spec (`rust`, library `reqwest`, async), and raw
//! reqwest, all making the same requests with production-configured HTTP clients of their own.
//!
//! `menu-bench-peer profile <sdk|peer|raw> <verify|refresh|after-expiry> <calls>` makes `calls` sequential
//! calls of one side on one thread, for callgrind.

use std::sync::Arc;
use std::time::Duration;

use menu_bench::{APPLICATION_KEY, Budget, Call, OverheadRig, Peer, USER_AGENT};
use menu_peer::apis::configuration::Configuration;
use menu_peer::apis::{account_api, token_api};
use menu_peer::models;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};

/// The peer side: the generated functions with the same headers (the generated code sends
/// `Accept` and `Content-Type` on neither call: the client adds them) and a client configured as
/// the raw side's.
fn peer(rig: &OverheadRig) -> Peer {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("a client");
    let configuration = Arc::new(Configuration {
        base_path: rig.base_url.clone(),
        user_agent: Some(USER_AGENT.to_owned()),
        client,
        bearer_access_token: Some(rig.token.clone()),
        ..Configuration::default()
    });
    let customer_id = rig.customer_id.to_string();
    let expired = Arc::new(Configuration {
        bearer_access_token: Some(rig.expired_token.clone()),
        ..(*configuration).clone()
    });
    Arc::new(move |call| {
        let (configuration, expired, customer_id) =
            (configuration.clone(), expired.clone(), customer_id.clone());
        Box::pin(async move {
            let refresh = |configuration: Arc<Configuration>| async move {
                let request_id = uuid::Uuid::new_v4().to_string();
                token_api::refresh(
                    &configuration,
                    &request_id,
                    APPLICATION_KEY,
                    "5.0.0",
                    models::QueryBuilderEnabled::True,
                )
                .await
                .expect("the peer's refresh")
            };
            let verify = |configuration: Arc<Configuration>| {
                let customer_id = customer_id.clone();
                async move {
                    let request_id = uuid::Uuid::new_v4().to_string();
                    let body = models::VerifyPhoneNumberUpdateRequest::new("164138".to_owned());
                    account_api::verify_phone_number_update(
                        &configuration,
                        &customer_id,
                        &request_id,
                        APPLICATION_KEY,
                        "5.0.0",
                        models::QueryBuilderEnabled::True,
                        body,
                    )
                    .await
                    .expect("the peer's verify")
                }
            };
            match call {
                Call::Verify => drop(std::hint::black_box(verify(configuration).await)),
                Call::Refresh => drop(std::hint::black_box(refresh(configuration).await)),
                // What a caller of the peer does when its token expired: refresh, then call
                // again with the new token.
                Call::AfterExpiry => {
                    let session = refresh(expired.clone()).await;
                    let renewed = Arc::new(Configuration {
                        bearer_access_token: Some(session.data.token.value),
                        ..(*expired).clone()
                    });
                    drop(std::hint::black_box(verify(renewed).await));
                }
            }
        })
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("profile") {
        if let Err(message) = profile(&args[1..]) {
            eprintln!("menu-bench-peer profile: {message}");
            eprintln!(
                "usage: menu-bench-peer profile <sdk|peer|raw> <verify|refresh|after-expiry> <calls>"
            );
            std::process::exit(2);
        }
        return;
    }
    let budget = if args.iter().any(|a| a == "--smoke") {
        Budget::smoke()
    } else {
        Budget::full()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let rig = Arc::new(OverheadRig::start().await);
        let peer = peer(&rig);
        println!(
            "## 1. Call overhead: the SDK, openapi-generator's client (peer) and raw reqwest \
             (the same requests, production-configured clients of their own; minimal hyper \
             server)\n"
        );
        print!(
            "{}",
            menu_bench::overhead_table(&menu_bench::call_overhead(budget, rig, Some(peer)).await)
        );
    });
}

fn profile(args: &[String]) -> Result<(), String> {
    let [side, operation, calls] = args else {
        return Err("expected three arguments".into());
    };
    let call = parse_call(operation)?;
    let calls: usize = calls
        .parse()
        .map_err(|_| format!("not a number of calls: {calls:?}"))?;
    let runtime = if std::env::var_os("MENU_BENCH_MULTI_THREAD").is_some() {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .map_err(|e| e.to_string())?;
    if !["sdk", "peer", "raw"].contains(&side.as_str()) {
        return Err(format!("unknown side {side:?}"));
    }
    let side = side.clone();
    runtime.block_on(async move {
        let rig = Arc::new(OverheadRig::start().await);
        let peer = peer(&rig);
        let call = menu_bench::side(move || {
            let (rig, peer, side) = (rig.clone(), peer.clone(), side.clone());
            async move {
                match side.as_str() {
                    "sdk" => rig.sdk_call(call).await,
                    "raw" => rig.raw_call(call).await,
                    _ => peer(call).await,
                }
            }
        });
        menu_bench::profile(call, calls).await;
    });
    Ok(())
}

/// The operation argument of `profile`.
fn parse_call(operation: &str) -> Result<Call, String> {
    match operation {
        "verify" => Ok(Call::Verify),
        "refresh" => Ok(Call::Refresh),
        "after-expiry" => Ok(Call::AfterExpiry),
        other => Err(format!("unknown operation {other:?}")),
    }
}
