const { PRODUCTS } = require('../../data/products');
const { api, open } = require('../../utils/platform');

const app = getApp();

Page({
  data: {
    products: PRODUCTS,
    cartCount: 0,
    showPrivacy: false,
    privacyContractName: '',
  },

  onLoad() {
    this.setData({ showPrivacy: app.globalData.needPrivacy });
  },

  onShow() {
    this.setData({ cartCount: app.globalData.cart.lines.length });
  },

  onProductTap(event) {
    open(`/pages/product/product?id=${event.currentTarget.dataset.id}`);
  },

  onCartTap() {
    open('/pages/cart/cart');
  },

  onAgreePrivacy() {
    app.agreePrivacy();
  },

  onDeclinePrivacy() {
    app.declinePrivacy();
  },

  onOpenPrivacyContract() {
    if (api.openPrivacyContract) api.openPrivacyContract({});
  },

  onPullDownRefresh() {
    api.stopPullDownRefresh();
  },

  onShareAppMessage() {
    return { title: 'Trail Tea Shop', path: '/pages/list/list' };
  },
});
