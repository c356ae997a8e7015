const { api, open } = require('../../utils/platform');
const { login } = require('../../utils/auth');
const { cartProps, cartTotal, createOrder, orderProps } = require('../../utils/shop');

const app = getApp();

Page({
  data: {
    lines: [],
    total: 0,
    busy: false,
  },

  onShow() {
    const cart = app.globalData.cart;
    this.setData({ lines: cart.lines, total: cartTotal(cart) });
    if (cart.lines.length) app.trail.cartViewed(cartProps(cart));
  },

  onCheckout() {
    const cart = app.globalData.cart;
    if (!cart.lines.length || this.data.busy) return;
    this.setData({ busy: true });
    login()
      .then((user) => {
        // Who the user is, from the server's login answer: events from now on carry the userId.
        app.trail.identify(user.userId, { openid: user.openid, unionid: user.unionid });
        const order = createOrder(cart, user);
        app.globalData.order = order;
        app.trail.checkoutStarted(orderProps(order, cart));
        this.setData({ busy: false });
        open(`/pages/order/order?order_id=${order.id}`);
      })
      .catch(() => {
        this.setData({ busy: false });
        api.showToast({ title: 'Login failed', icon: 'none' });
      });
  },
});
