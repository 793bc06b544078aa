//! Notify's limits: a token bucket of `rate_limit` requests per 60 seconds per service and key
//! type (as Notify's, refilled continuously, bursts of a third of the limit), and daily message
//! limits per channel counted from the database once and then in memory.
//!
//! Buckets and day counts live in each process: with several processes behind a load balancer
//! each enforces the limit on what it sees.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::Result;
use time::OffsetDateTime;
use uuid::Uuid;

use super::lock;
use crate::domain::kinds::{Channel, KeyType};
use crate::store::{self, Service};

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct Limits {
    default_rate: u32,
    buckets: Mutex<HashMap<(Uuid, KeyType), Bucket>>,
    days: Mutex<HashMap<(Uuid, Channel), (time::Date, i64)>>,
}

impl Limits {
    pub fn new(default_rate: u32) -> Limits {
        Limits { default_rate, buckets: Mutex::default(), days: Mutex::default() }
    }

    /// Take one request from the bucket or say Notify's message.
    pub fn check_rate(&self, service: &Service, key_type: KeyType) -> Result<(), String> {
        let limit = if service.rate_limit > 0 { service.rate_limit as f64 } else { self.default_rate as f64 };
        let capacity = (limit / 3.0).ceil() + 1.0;
        let now = Instant::now();
        let mut buckets = lock(&self.buckets);
        let bucket = buckets.entry((service.id, key_type)).or_insert(Bucket { tokens: capacity, at: now });
        let refill = now.duration_since(bucket.at).as_secs_f64() * limit / 60.0;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let shown = match key_type {
            KeyType::Normal => "LIVE",
            other => other.upper(),
        };
        Err(format!("Exceeded rate limit for key type {shown} of {} requests per 60 seconds", limit as i64))
    }

    /// Count one more message of `channel` today (UTC) against the service's daily limit.
    pub async fn take_daily(&self, db: &Db, service: &Service, channel: Channel) -> Result<Result<(), String>> {
        let (limit, name) = match channel {
            Channel::Email => (service.message_limit, "email"),
            Channel::Sms => (service.sms_daily_limit, "sms"),
            Channel::Letter => (service.letter_daily_limit, "letter"),
        };
        let today = OffsetDateTime::now_utc().date();
        let known = lock(&self.days).get(&(service.id, channel)).filter(|(day, _)| *day == today).map(|(_, n)| *n);
        let count = match known {
            Some(n) => n,
            None => {
                let midnight = Timestamp::from(today.midnight().assume_utc());
                store::count_since(db, service.id, channel.as_str(), midnight).await?
            }
        };
        if count >= limit {
            lock(&self.days).insert((service.id, channel), (today, count));
            return Ok(Err(format!("Exceeded send limits ({name}: {limit}) for today")));
        }
        lock(&self.days).insert((service.id, channel), (today, count + 1));
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(rate: i64) -> Service {
        Service {
            id: Uuid::now_v7(),
            org_id: Uuid::now_v7(),
            name: "s".into(),
            restricted: false,
            active: true,
            email_from: "s".into(),
            email_reply_to: None,
            sms_sender: "S".into(),
            sms_prefix: false,
            letter_contact_block: None,
            message_limit: 10,
            sms_daily_limit: 10,
            letter_daily_limit: 10,
            retention_days: 7,
            rate_limit: rate,
            international_sms: false,
            delivery_callback_url: None,
            delivery_callback_token: None,
            inbound_callback_url: None,
            inbound_callback_token: None,
            inbound_number: None,
            created_at: Timestamp::now(),
        }
    }

    #[test]
    fn bucket_allows_a_third_of_the_minute_at_once_then_refuses() {
        let limits = Limits::new(3000);
        let s = service(30);
        let allowed = (0..100).filter(|_| limits.check_rate(&s, KeyType::Team).is_ok()).count();
        assert_eq!(allowed, 11, "a burst of ceil(30/3)+1");
        assert_eq!(
            limits.check_rate(&s, KeyType::Team),
            Err("Exceeded rate limit for key type TEAM of 30 requests per 60 seconds".into())
        );
        assert!(limits.check_rate(&s, KeyType::Normal).is_ok(), "each key type has its own bucket");
    }
}
