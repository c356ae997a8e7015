// The SDK starts first: init() wraps App() and Page(), so launches, page views, taps on elements
// with data-track and shares are recorded without code in every page.
const { init } = require('@trail/sdk-miniprogram');
const config = require('./config');
const { api } = require('./utils/platform');
const { newCart } = require('./utils/shop');

const trail = init({
  writeKey: config.writeKey,
  endpoint: config.endpoint,
  consent: 'opt-in', // PIPL: nothing is stored or sent before the user accepts the privacy agreement
  shareTracking: true, // shared paths carry the share chain (who shared, how deep)
  flushInterval: config.flushInterval,
});

App({
  trail,
  globalData: {
    cart: newCart(),
    order: null,
    needPrivacy: false,
    privacyContractName: '',
  },

  onLaunch() {
    // The app's own privacy popup. WeChat keeps only the LAST onNeedPrivacyAuthorization listener,
    // so this one is the app's; the SDK never registers one.
    if (api.onNeedPrivacyAuthorization) {
      api.onNeedPrivacyAuthorization((resolve) => {
        this.privacyResolve = resolve;
        this.showPrivacy(true);
      });
    }
    if (api.getPrivacySetting) {
      api.getPrivacySetting({
        success: (res) => {
          // needAuthorization false: the user accepted this app's privacy guideline earlier. The app
          // says so to the SDK itself (WeChat answers the same when no guideline is declared).
          this.globalData.privacyContractName = res.privacyContractName;
          if (!res.needAuthorization && !trail.consent()) trail.grantConsent();
          this.showPrivacy(res.needAuthorization);
        },
      });
    } else {
      // Platforms without a privacy setting API (Alipay): the app asks on every launch.
      this.showPrivacy(true);
    }
  },

  /** Shows or hides the privacy popup on the current page. */
  showPrivacy(show) {
    this.globalData.needPrivacy = show;
    const pages = getCurrentPages();
    const page = pages[pages.length - 1];
    if (page) page.setData({ showPrivacy: show, privacyContractName: this.globalData.privacyContractName });
  },

  /** The user accepted the privacy agreement (the popup's agree button). */
  agreePrivacy() {
    this.showPrivacy(false);
    if (this.privacyResolve) {
      this.privacyResolve({ buttonId: 'agree-btn', event: 'agree' });
      this.privacyResolve = null;
    }
    trail.grantConsent();
  },

  /** The user declined: held events are dropped and nothing is collected. */
  declinePrivacy() {
    this.showPrivacy(false);
    if (this.privacyResolve) {
      this.privacyResolve({ event: 'disagree' });
      this.privacyResolve = null;
    }
    trail.denyConsent();
  },
});
