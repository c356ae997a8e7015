const { api, pay } = require('../../utils/platform');
const { newCart, orderProps } = require('../../utils/shop');

const app = getApp();

Page({
  data: {
    order: null,
    paid: false,
  },

  onLoad(query) {
    const order = app.globalData.order;
    if (order && order.id === query.order_id) this.setData({ order });
  },

  onPay() {
    const order = this.data.order;
    if (!order || this.data.paid) return;
    const cart = app.globalData.cart;
    pay(order)
      .then(() => {
        // The purchase: Order Completed with the revenue and the products bought.
        app.trail.orderCompleted(orderProps(order, cart));
        app.globalData.cart = newCart();
        this.setData({ paid: true });
        api.showToast({ title: 'Paid', icon: 'success' });
      })
      .catch(() => api.showToast({ title: 'Payment cancelled', icon: 'none' }));
  },
});
