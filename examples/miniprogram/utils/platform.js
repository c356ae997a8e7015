// The demo runs on WeChat (`wx`) and Alipay (`my`): the few APIs that differ go through here.
const api = typeof wx !== 'undefined' ? wx : my;
const isAlipay = typeof wx === 'undefined' && typeof my !== 'undefined';

/** A one-time login code for the app's server (wx.login code / my.getAuthCode authCode). */
function loginCode() {
  return new Promise((resolve, reject) => {
    if (isAlipay) {
      api.getAuthCode({ scopes: 'auth_base', success: (res) => resolve(res.authCode), fail: reject });
    } else {
      api.login({ success: (res) => resolve(res.code), fail: reject });
    }
  });
}

/** Pays an order: wx.requestPayment with the server's signed parameters / my.tradePay with its trade number. */
function pay(order) {
  return new Promise((resolve, reject) => {
    if (isAlipay) {
      api.tradePay({
        tradeNO: order.tradeNo,
        success: (res) => (res.resultCode === '9000' ? resolve() : reject(new Error(res.resultCode))),
        fail: reject,
      });
    } else {
      api.requestPayment({ ...order.payment, success: () => resolve(), fail: reject });
    }
  });
}

/** Opens a page (absolute path with query). */
function open(url) {
  api.navigateTo({ url });
}

module.exports = { api, isAlipay, loginCode, pay, open };
