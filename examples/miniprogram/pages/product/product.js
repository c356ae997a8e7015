const { api, open } = require('../../utils/platform');
const { findProduct, productProps, addToCart } = require('../../utils/shop');

const app = getApp();

Page({
  data: {
    product: null,
    added: 0,
  },

  onLoad(query) {
    const product = findProduct(query.id);
    this.setData({ product });
    app.trail.productViewed(productProps(product));
  },

  onAddToCart() {
    const product = this.data.product;
    const cart = addToCart(app.globalData.cart, product);
    app.trail.productAdded({ ...productProps(product), cart_id: cart.id });
    this.setData({ added: this.data.added + 1 });
    api.showToast({ title: 'Added to cart', icon: 'success' });
  },

  onGoToCart() {
    open('/pages/cart/cart');
  },

  // Share to a chat. The title is refined asynchronously (WeChat waits up to 3 s for `promise`).
  onShareAppMessage() {
    const product = this.data.product;
    return {
      title: product.name,
      path: `/pages/product/product?id=${product.id}`,
      promise: new Promise((resolve) => {
        setTimeout(() => resolve({ title: `${product.name} · ¥${product.price}` }), 50);
      }),
    };
  },

  onShareTimeline() {
    const product = this.data.product;
    return { title: product.name, query: `id=${product.id}` };
  },
});
