/**
 * Wire protocol: the Segment Tracking API spec, as the SDKs send it and the collector accepts it.
 * Kept to types and constants so that it costs the SDK bundles nothing.
 */

/** A JSON value as it travels on the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object (properties, traits, context fragments). */
export type JsonObject = { [key: string]: JsonValue };

/** Event types of the Segment spec. */
export type EventType = 'track' | 'page' | 'screen' | 'identify' | 'alias' | 'group';
/** All event types, for validation and routing. */
export const EVENT_TYPES: readonly EventType[] = ['track', 'page', 'screen', 'identify', 'alias', 'group'];

/** Consent categories an event may need. `necessary` is never blocked. */
export type ConsentCategory = 'necessary' | 'analytics' | 'marketing';
/** All consent categories. */
export const CONSENT_CATEGORIES: readonly ConsentCategory[] = ['necessary', 'analytics', 'marketing'];

/** `context.consent` of the Segment consent spec: category → granted. */
export interface ConsentContext {
  categoryPreferences: Partial<Record<ConsentCategory, boolean>> & Record<string, boolean>;
}

/** Library that produced the event. */
export interface LibraryContext {
  name: string;
  version: string;
}

/** Page a web event was produced on. */
export interface PageContext {
  path?: string;
  referrer?: string;
  search?: string;
  title?: string;
  url?: string;
}

/** Campaign (utm_*) plus ad click ids captured from the landing URL or mini-program scene. */
export interface CampaignContext {
  name?: string;
  source?: string;
  medium?: string;
  term?: string;
  content?: string;
  /** Ad click ids: gclid, fbclid, msclkid, bd_vid, gdt_vid, qz_gdt, clickid, … */
  clickIds?: Record<string, string>;
  [key: string]: JsonValue | undefined;
}

/** Session the event belongs to (30 min inactivity window). */
export interface SessionContext {
  id: string;
  start?: boolean;
}

/** Share chain of a mini-program open: who shared, which share, how deep. */
export interface ShareChain {
  shareId?: string;
  sharerId?: string;
  depth?: number;
  rootShareId?: string;
}

/** Mini-program context: platform, app and how the user got here. */
export interface MiniProgramContext {
  platform: MiniProgramPlatform;
  appId?: string;
  scene?: number;
  path?: string;
  query?: Record<string, string>;
  referrerInfo?: { appId?: string; extraData?: JsonObject };
  share?: ShareChain;
}

/** Mini-program platforms behind the one adapter table. */
export type MiniProgramPlatform = 'wechat' | 'alipay' | 'douyin' | 'baidu' | 'qq';

/** `context` of every event; open to extra keys as the spec allows. */
export interface EventContext {
  library?: LibraryContext;
  page?: PageContext;
  campaign?: CampaignContext;
  /** The session's first campaign touch (`campaign` is the last). */
  firstCampaign?: CampaignContext;
  locale?: string;
  timezone?: string;
  userAgent?: string;
  screen?: { width?: number; height?: number; density?: number };
  consent?: ConsentContext;
  session?: SessionContext;
  miniprogram?: MiniProgramContext;
  ip?: string;
  [key: string]: JsonValue | object | undefined;
}

/** Fields every event carries. */
export interface BaseEvent {
  type: EventType;
  messageId: string;
  anonymousId?: string;
  userId?: string;
  /** Client time the event happened (ISO 8601). */
  timestamp?: string;
  /** Client time the event was sent (ISO 8601). */
  sentAt?: string;
  context?: EventContext;
  integrations?: Record<string, boolean | JsonObject>;
}

/** `track`: something the user did. */
export interface TrackEvent extends BaseEvent {
  type: 'track';
  event: string;
  properties?: JsonObject;
}

/** `page`: a web page view. */
export interface PageEvent extends BaseEvent {
  type: 'page';
  name?: string;
  category?: string;
  properties?: JsonObject;
}

/** `screen`: a mini-program or app page view. */
export interface ScreenEvent extends BaseEvent {
  type: 'screen';
  name?: string;
  properties?: JsonObject;
}

/** `identify`: who the user is. */
export interface IdentifyEvent extends BaseEvent {
  type: 'identify';
  traits?: JsonObject;
}

/** `alias`: join a previous id to the user id. */
export interface AliasEvent extends BaseEvent {
  type: 'alias';
  previousId: string;
}

/** `group`: the account or organisation the user belongs to. */
export interface GroupEvent extends BaseEvent {
  type: 'group';
  groupId: string;
  traits?: JsonObject;
}

/** Any event of the spec. */
export type TrailEvent = TrackEvent | PageEvent | ScreenEvent | IdentifyEvent | AliasEvent | GroupEvent;

/** Body of `POST /v1/batch`. */
export interface BatchEnvelope {
  batch: TrailEvent[];
  sentAt?: string;
  writeKey?: string;
  /** Merged under each event's own context, as Segment's batch endpoint does. */
  context?: EventContext;
  integrations?: Record<string, boolean | JsonObject>;
}

/** One event the collector refused, with why. */
export interface RejectedEvent {
  index: number;
  messageId?: string;
  reason: string;
}

/** Collector answer to an accepted request (2xx). */
export interface BatchResponse {
  success: true;
  accepted: number;
  duplicates: number;
  droppedByConsent: number;
  rejected: RejectedEvent[];
}

/** Collector answer to a refused request (4xx/5xx). */
export interface ErrorResponse {
  success: false;
  error: string;
  message: string;
}

/** Segment e-commerce spec v2 event names. */
export const ECOMMERCE_EVENTS = {
  productsSearched: 'Products Searched',
  productListViewed: 'Product List Viewed',
  productClicked: 'Product Clicked',
  productViewed: 'Product Viewed',
  productAdded: 'Product Added',
  productRemoved: 'Product Removed',
  cartViewed: 'Cart Viewed',
  checkoutStarted: 'Checkout Started',
  checkoutStepViewed: 'Checkout Step Viewed',
  checkoutStepCompleted: 'Checkout Step Completed',
  paymentInfoEntered: 'Payment Info Entered',
  orderCompleted: 'Order Completed',
  orderRefunded: 'Order Refunded',
  orderCancelled: 'Order Cancelled',
  couponApplied: 'Coupon Applied',
  productShared: 'Product Shared',
  cartShared: 'Cart Shared',
} as const;

/** An e-commerce v2 event name. */
export type EcommerceEventName = (typeof ECOMMERCE_EVENTS)[keyof typeof ECOMMERCE_EVENTS];

/** A product as the e-commerce v2 spec describes it. */
export interface Product {
  product_id: string;
  sku?: string;
  category?: string;
  name?: string;
  brand?: string;
  variant?: string;
  price?: number;
  quantity?: number;
  coupon?: string;
  position?: number;
  url?: string;
  image_url?: string;
  [key: string]: JsonValue | undefined;
}

/** Properties of `Order Completed` (and `Checkout Started`). */
export interface OrderProperties {
  order_id: string;
  checkout_id?: string;
  affiliation?: string;
  total?: number;
  subtotal?: number;
  revenue?: number;
  shipping?: number;
  tax?: number;
  discount?: number;
  coupon?: string;
  currency?: string;
  products?: Product[];
  [key: string]: JsonValue | Product[] | undefined;
}

/** Properties of a share (`Product Shared`, mini-program shares). */
export interface ShareProperties {
  share_via?: string;
  share_message?: string;
  share_id?: string;
  product_id?: string;
  [key: string]: JsonValue | undefined;
}

/** Name of the event that records a consent change; always `necessary`. */
export const CONSENT_EVENT = 'Consent Updated';
