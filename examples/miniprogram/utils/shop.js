// Cart and order state of the demo (in memory: the demo writes nothing to storage itself), and the
// Segment e-commerce v2 properties the SDK's productViewed/productAdded/… methods take.
const { PRODUCTS } = require('../data/products');

const CURRENCY = 'CNY';

function findProduct(id) {
  return PRODUCTS.find((p) => p.id === id) || PRODUCTS[0];
}

/** Product properties: product_id, sku, name, brand, category, price, quantity, currency, position. */
function productProps(product, quantity) {
  return {
    product_id: product.id,
    sku: product.sku,
    name: product.name,
    brand: product.brand,
    category: product.category,
    price: product.price,
    quantity: quantity || 1,
    currency: CURRENCY,
    position: product.position,
  };
}

function addToCart(cart, product) {
  const line = cart.lines.find((l) => l.product.id === product.id);
  if (line) line.quantity += 1;
  else cart.lines.push({ product, quantity: 1 });
  return cart;
}

function cartProps(cart) {
  return {
    cart_id: cart.id,
    products: cart.lines.map((l) => productProps(l.product, l.quantity)),
  };
}

function cartTotal(cart) {
  return cart.lines.reduce((sum, l) => sum + l.product.price * l.quantity, 0);
}

/** An order from the cart; `payment` stands for what the app's server would sign for wx.requestPayment. */
function createOrder(cart, user) {
  const id = `order-${Date.now().toString(36)}`;
  const subtotal = cartTotal(cart);
  const shipping = subtotal >= 199 ? 0 : 12;
  return {
    id,
    userId: user.userId,
    lines: cart.lines.slice(),
    subtotal,
    shipping,
    total: subtotal + shipping,
    tradeNo: `trade-${id}`,
    payment: {
      timeStamp: String(Date.now()),
      nonceStr: id,
      package: `prepay_id=${id}`,
      signType: 'RSA',
      paySign: 'demo',
    },
  };
}

/** Checkout Started / Order Completed properties. */
function orderProps(order, cart) {
  return {
    order_id: order.id,
    checkout_id: cart.id,
    total: order.total,
    subtotal: order.subtotal,
    revenue: order.subtotal,
    value: order.total,
    shipping: order.shipping,
    tax: 0,
    discount: 0,
    currency: CURRENCY,
    products: order.lines.map((l) => productProps(l.product, l.quantity)),
  };
}

function newCart() {
  return { id: `cart-${Date.now().toString(36)}`, lines: [] };
}

module.exports = {
  findProduct,
  productProps,
  addToCart,
  cartProps,
  cartTotal,
  createOrder,
  orderProps,
  newCart,
};
