/**
 * Where ids live that are not personal data, so PII masking leaves them as sent: the Segment id
 * fields, the session id and the e-commerce v2 ids (sdk-core/src/protocol.ts).
 */
export const DEFAULT_PII_EXEMPT_PATHS: readonly string[] = [
  'messageId',
  'anonymousId',
  'userId',
  'previousId',
  'groupId',
  'context.session.id',
  'properties.order_id',
  'properties.checkout_id',
  'properties.cart_id',
  'properties.product_id',
  'properties.sku',
  'properties.share_id',
  'properties.coupon',
  'properties.promotion_id',
  'properties.affiliation',
  'properties.products[].product_id',
  'properties.products[].sku',
  'properties.products[].coupon',
];

/** An exempt path: keys joined by `.`, `[]` after a key for every item of the array it holds. */
export const EXEMPT_PATH = /^[^.[\]]+(?:\[\])*(?:\.[^.[\]]+(?:\[\])*)*$/;

/** Exempt paths as a tree: a node per key (`keys`) and per array item (`items`). */
export interface ExemptNode {
  /** A string or number at this node is left as sent; an object or array here is masked as any other. */
  exempt?: boolean;
  keys?: Map<string, ExemptNode>;
  items?: ExemptNode;
}

/** Builds the tree of paths written as {@link EXEMPT_PATH} describes. */
export function exemptTree(paths: readonly string[]): ExemptNode {
  const root: ExemptNode = {};
  for (const path of paths) {
    let node = root;
    for (const part of path.split('.')) {
      // `products[]` splits into ['products', '']: one item level per `[]`.
      const [key = '', ...items] = part.split('[]');
      const keys = (node.keys ??= new Map());
      let next = keys.get(key);
      if (!next) keys.set(key, (next = {}));
      node = next;
      for (let i = 0; i < items.length; i++) node = node.items ??= {};
    }
    node.exempt = true;
  }
  return root;
}
