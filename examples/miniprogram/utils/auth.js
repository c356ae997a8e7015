const { loginCode } = require('./platform');

/**
 * Signs the user in. A real app sends the code to its server, which exchanges it (WeChat
 * code2Session) for the openid and, when the app is bound to an Open Platform account, the unionid.
 * This demo has no server, so the "answer" is made from the code.
 */
function login() {
  return loginCode().then((code) => ({
    userId: `user-${code}`,
    openid: `o${code}`,
    unionid: `u${code}`,
  }));
}

module.exports = { login };
