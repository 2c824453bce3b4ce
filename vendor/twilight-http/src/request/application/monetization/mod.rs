pub mod create_test_entitlement;
pub mod delete_test_entitlement;
pub mod get_entitlements;
pub mod get_skus;

mod consume_entitlement;
mod get_entitlement;
mod get_sku_subscription;
mod get_sku_subscriptions;

pub use self::consume_entitlement::ConsumeEntitlement;
pub use self::create_test_entitlement::{CreateTestEntitlement, CreateTestEntitlementOwner};
pub use self::delete_test_entitlement::DeleteTestEntitlement;
pub use self::get_entitlement::GetEntitlement;
pub use self::get_entitlements::GetEntitlements;
pub use self::get_sku_subscription::GetSKUSubscription;
pub use self::get_sku_subscriptions::GetSKUSubscriptions;
pub use self::get_skus::GetSKUs;
