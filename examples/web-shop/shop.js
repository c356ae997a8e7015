/* global document, localStorage, location, URLSearchParams, setTimeout, trail */
// The demo shop's own code: catalogue, cart (the shop's state, in localStorage), consent banner and
// the trail calls of each step. The SDK itself is the script tag in each page's <head>.

const CURRENCY = 'CNY';
const PRODUCTS = [
  {
    id: 'longjing',
    sku: 'TEA-LJ-100',
    name: 'West Lake Longjing',
    category: 'Green',
    price: 128,
    color: '#6a9a3a',
    note: 'Pan-fired, chestnut-sweet, from Hangzhou.',
  },
  {
    id: 'biluochun',
    sku: 'TEA-BLC-100',
    name: 'Biluochun',
    category: 'Green',
    price: 98,
    color: '#8bb04a',
    note: 'Tiny spiral leaves with a fruity, floral lift.',
  },
  {
    id: 'tieguanyin',
    sku: 'TEA-TGY-150',
    name: 'Anxi Tieguanyin',
    category: 'Oolong',
    price: 156,
    color: '#4f8a5b',
    note: 'Rolled oolong, orchid aroma, long finish.',
  },
  {
    id: 'dahongpao',
    sku: 'TEA-DHP-100',
    name: 'Wuyi Da Hong Pao',
    category: 'Oolong',
    price: 238,
    color: '#8a4b2a',
    note: 'Rock tea, roasted and mineral.',
  },
  {
    id: 'puer',
    sku: 'TEA-PE-357',
    name: 'Menghai Ripe Pu’er',
    category: 'Dark',
    price: 188,
    color: '#4a2c1d',
    note: 'A 357 g cake, earthy and smooth.',
  },
  {
    id: 'jasmine',
    sku: 'TEA-JP-100',
    name: 'Jasmine Dragon Pearls',
    category: 'Scented',
    price: 86,
    color: '#c9b458',
    note: 'Hand-rolled pearls scented with fresh jasmine.',
  },
];

const byId = (id) => PRODUCTS.find((p) => p.id === id);
const money = (n) => `¥${n.toFixed(2)}`;
const $ = (selector) => document.querySelector(selector);
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A product as the e-commerce events describe it. */
function productProps(product, quantity = 1, position) {
  const props = {
    product_id: product.id,
    sku: product.sku,
    name: product.name,
    category: product.category,
    price: product.price,
    quantity,
    currency: CURRENCY,
    url: `${location.origin}/shop/product.html?id=${product.id}`,
  };
  if (position !== undefined) props.position = position;
  return props;
}

/** An inline SVG picture of a tea: a cup in the tea's colour with a leaf. No external images. */
function teaImage(product, size = 160) {
  return `<svg class="tea-img" viewBox="0 0 160 160" width="${size}" height="${size}" role="img" aria-label="${escape(product.name)}">
  <rect width="160" height="160" rx="18" fill="${product.color}" opacity=".14"/>
  <path d="M40 70h70v22a35 35 0 0 1-70 0z" fill="#fff" stroke="#2d3b33" stroke-width="3"/>
  <path d="M44 74h62v16a31 31 0 0 1-62 0z" fill="${product.color}"/>
  <path d="M110 76h8a10 10 0 0 1 0 20h-10" fill="none" stroke="#2d3b33" stroke-width="3"/>
  <ellipse cx="75" cy="128" rx="44" ry="6" fill="#2d3b33" opacity=".15"/>
  <path d="M78 56c-14-2-22-14-20-30 16 0 26 12 20 30z" fill="#5c8f3e"/>
  <path d="M78 56c-6-10-12-18-20-30" stroke="#e8f0dc" stroke-width="2" fill="none"/>
</svg>`;
}

// --- Cart: the shop's own state -----------------------------------------------------------------

const CART_KEY = 'shop.cart';
function loadCart() {
  try {
    return JSON.parse(localStorage.getItem(CART_KEY) ?? '[]').filter((line) => byId(line.id) && line.qty > 0);
  } catch {
    return [];
  }
}
function saveCart(cart) {
  localStorage.setItem(CART_KEY, JSON.stringify(cart));
  renderCartCount();
}
function cartLines() {
  return loadCart().map((line) => ({ product: byId(line.id), qty: line.qty }));
}
const cartTotal = () => cartLines().reduce((sum, l) => sum + l.product.price * l.qty, 0);
const cartProducts = () => cartLines().map((l, i) => productProps(l.product, l.qty, i + 1));

function addToCart(id, qty = 1) {
  const cart = loadCart();
  const line = cart.find((l) => l.id === id);
  if (line) line.qty += qty;
  else cart.push({ id, qty });
  saveCart(cart);
  trail('productAdded', { cart_id: cartId(), ...productProps(byId(id), qty) });
  toast(`${byId(id).name} added to the cart`);
}
function removeFromCart(id, qty) {
  const cart = loadCart();
  const line = cart.find((l) => l.id === id);
  if (!line) return;
  const removed = Math.min(qty ?? line.qty, line.qty);
  line.qty -= removed;
  saveCart(cart.filter((l) => l.qty > 0));
  trail('productRemoved', { cart_id: cartId(), ...productProps(byId(id), removed) });
}
function cartId() {
  let id = localStorage.getItem('shop.cartId');
  if (!id) {
    id = `cart-${Math.random().toString(36).slice(2, 10)}`;
    localStorage.setItem('shop.cartId', id);
  }
  return id;
}

function renderCartCount() {
  const count = loadCart().reduce((n, l) => n + l.qty, 0);
  const badge = $('#cart-count');
  if (badge) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }
}

function toast(text) {
  let box = $('#toast');
  if (!box) {
    box = document.createElement('div');
    box.id = 'toast';
    box.setAttribute('role', 'status');
    document.body.append(box);
  }
  box.textContent = text;
  box.classList.add('show');
  setTimeout(() => box.classList.remove('show'), 1800);
}

// --- Consent banner -----------------------------------------------------------------------------

const CONSENT_KEY = 'shop.consent';
function consentBanner() {
  if (localStorage.getItem(CONSENT_KEY)) return;
  const banner = document.createElement('section');
  banner.id = 'consent';
  banner.setAttribute('aria-label', 'Privacy choices');
  banner.innerHTML = `<p><strong>We value your privacy.</strong> With your consent we measure visits and
  purchases with a first-party analytics tool (no cookies, no third parties). Marketing data (ad
  click ids) is sent only if you accept all.</p>
  <div class="consent-buttons">
    <button type="button" class="btn" id="consent-accept">Accept all</button>
    <button type="button" class="btn secondary" id="consent-analytics">Analytics only</button>
    <button type="button" class="btn ghost" id="consent-reject">Reject</button>
  </div>`;
  document.body.append(banner);
  const choose = (choice, call) => () => {
    call();
    localStorage.setItem(CONSENT_KEY, choice); // the shop remembers only that a choice was made
    banner.remove();
  };
  $('#consent-accept').addEventListener(
    'click',
    choose('all', () => trail('grantConsent')),
  );
  $('#consent-analytics').addEventListener(
    'click',
    choose('analytics', () => trail('setConsent', { analytics: true, marketing: false })),
  );
  $('#consent-reject').addEventListener(
    'click',
    choose('none', () => trail('denyConsent')),
  );
}

function privacyLink() {
  const link = $('#privacy-settings');
  if (!link) return;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    localStorage.removeItem(CONSENT_KEY);
    consentBanner();
  });
}

// --- Pages --------------------------------------------------------------------------------------

function productCard(product, position) {
  return `<article class="card">
  <a href="product.html?id=${product.id}" class="card-img">${teaImage(product)}</a>
  <div class="card-body">
    <span class="tag">${escape(product.category)}</span>
    <h2><a href="product.html?id=${product.id}">${escape(product.name)}</a></h2>
    <p class="note">${escape(product.note)}</p>
    <div class="row">
      <span class="price">${money(product.price)}</span>
      <button type="button" class="btn small" data-add="${product.id}" data-position="${position}">Add to cart</button>
    </div>
  </div>
</article>`;
}

function listPage() {
  const grid = $('#products');
  const render = (category) => {
    const shown = PRODUCTS.filter((p) => !category || p.category === category);
    grid.innerHTML = shown.map((p, i) => productCard(p, i + 1)).join('');
  };
  render();
  for (const button of document.querySelectorAll('[data-filter]')) {
    button.addEventListener('click', () => {
      for (const b of document.querySelectorAll('[data-filter]')) b.classList.toggle('active', b === button);
      render(button.dataset.filter);
    });
  }
  grid.addEventListener('click', (event) => {
    const button = event.target.closest('[data-add]');
    if (button) addToCart(button.dataset.add);
  });
}

function productPage() {
  const product = byId(new URLSearchParams(location.search).get('id') ?? '');
  const box = $('#product');
  if (!product) {
    box.innerHTML = '<h1>Not found</h1><p><a href="./">Back to all teas</a></p>';
    return;
  }
  document.title = `${product.name} · Trail Tea House`;
  box.innerHTML = `<div class="detail-img">${teaImage(product, 320)}</div>
  <div class="detail-body">
    <span class="tag">${escape(product.category)}</span>
    <h1>${escape(product.name)}</h1>
    <p class="note">${escape(product.note)}</p>
    <p class="price big">${money(product.price)}</p>
    <div class="row left">
      <label>Quantity <input id="qty" type="number" min="1" max="20" value="1" /></label>
      <button type="button" class="btn" id="add">Add to cart</button>
    </div>
    <p><a href="./" data-track="Continue Shopping Clicked">← All teas</a></p>
  </div>`;
  trail('productViewed', productProps(product));
  $('#add').addEventListener('click', () => {
    const qty = Math.max(1, Math.min(20, Number($('#qty').value) || 1));
    addToCart(product.id, qty);
  });
}

function cartPage() {
  const box = $('#cart');
  const render = () => {
    const lines = cartLines();
    if (!lines.length) {
      box.innerHTML = '<p class="empty">Your cart is empty. <a href="./">Find a tea</a></p>';
      return;
    }
    box.innerHTML = `<table class="lines">
    <thead><tr><th colspan="2">Tea</th><th>Price</th><th>Quantity</th><th>Total</th><th></th></tr></thead>
    <tbody>${lines
      .map(
        (l) => `<tr>
      <td class="thumb">${teaImage(l.product, 56)}</td>
      <td><a href="product.html?id=${l.product.id}">${escape(l.product.name)}</a></td>
      <td>${money(l.product.price)}</td>
      <td class="qty">
        <button type="button" class="btn tiny ghost" data-dec="${l.product.id}" aria-label="One less">−</button>
        <span>${l.qty}</span>
        <button type="button" class="btn tiny ghost" data-inc="${l.product.id}" aria-label="One more">+</button>
      </td>
      <td>${money(l.product.price * l.qty)}</td>
      <td><button type="button" class="btn tiny ghost" data-remove="${l.product.id}">Remove</button></td>
    </tr>`,
      )
      .join('')}</tbody>
    </table>
    <div class="summary">
      <p>Total <strong id="cart-total">${money(cartTotal())}</strong></p>
      <a class="btn" id="to-checkout" href="checkout.html" data-track="Checkout Clicked">Check out</a>
    </div>`;
  };
  render();
  trail('cartViewed', { cart_id: cartId(), products: cartProducts() });
  box.addEventListener('click', (event) => {
    const target = event.target.closest('button');
    if (!target) return;
    if (target.dataset.inc) addToCart(target.dataset.inc);
    else if (target.dataset.dec) removeFromCart(target.dataset.dec, 1);
    else if (target.dataset.remove) removeFromCart(target.dataset.remove);
    else return;
    render();
  });
}

function checkoutPage() {
  const lines = cartLines();
  if (!lines.length) {
    $('#checkout').innerHTML = '<p class="empty">Your cart is empty. <a href="./">Find a tea</a></p>';
    return;
  }
  const orderId = `order-${Date.now().toString(36)}`;
  const total = cartTotal();
  $('#order-lines').innerHTML = lines
    .map(
      (l) =>
        `<li><span>${l.qty} × ${escape(l.product.name)}</span><span>${money(l.product.price * l.qty)}</span></li>`,
    )
    .join('');
  $('#order-total').textContent = money(total);
  trail('checkoutStarted', {
    order_id: orderId,
    value: total,
    revenue: total,
    currency: CURRENCY,
    products: cartProducts(),
  });
  $('#checkout-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const field = (name) => event.target.querySelector(`[name="${name}"]`).value.trim();
    const email = field('email');
    // The email is masked by the SDK before it leaves the browser (maskPii, on by default).
    trail('identify', undefined, { email, name: field('name') });
    const order = {
      order_id: orderId,
      revenue: total,
      total,
      currency: CURRENCY,
      products: cartProducts(),
      tracked: false,
    };
    localStorage.setItem('shop.lastOrder', JSON.stringify(order));
    localStorage.removeItem(CART_KEY);
    localStorage.removeItem('shop.cartId');
    // Events are stored and survive the navigation; a flush just gets them out sooner.
    await Promise.race([trail('flush'), new Promise((done) => setTimeout(done, 1500))]);
    location.href = 'done.html';
  });
}

function donePage() {
  let order;
  try {
    order = JSON.parse(localStorage.getItem('shop.lastOrder') ?? 'null');
  } catch {
    order = null;
  }
  if (!order) {
    $('#done').innerHTML = '<p class="empty">No recent order. <a href="./">Find a tea</a></p>';
    return;
  }
  $('#order-id').textContent = order.order_id;
  $('#order-amount').textContent = money(order.revenue);
  if (!order.tracked) {
    // Once per order, even when the confirmation page is reloaded.
    const properties = { ...order };
    delete properties.tracked;
    trail('orderCompleted', properties);
    localStorage.setItem('shop.lastOrder', JSON.stringify({ ...order, tracked: true }));
  }
}

const PAGES = {
  list: listPage,
  product: productPage,
  cart: cartPage,
  checkout: checkoutPage,
  done: donePage,
};

renderCartCount();
consentBanner();
privacyLink();
PAGES[document.body.dataset.page]?.();
