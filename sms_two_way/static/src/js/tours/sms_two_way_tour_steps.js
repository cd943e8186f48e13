/** Steps the SMS tours share: leave the web client for a URL, answer from a simulated phone. */

/**
 * Odoo waits 10 s for each trigger; a page load on busy cores can take longer.
 * A step timeout only detects a stuck tour, so give every step the most Odoo allows.
 */
export function withStepTimeout(steps) {
  return steps.map((step) => ({timeout: 60000, ...step}));
}

export function goTo(content, url) {
  return {
    content,
    trigger: "body",
    run: () => {
      window.location.href = url;
    },
    expectUnloadPage: true,
  };
}

export function replyFromPhone(phone, text) {
  return [
    {
      content: `Reply "${text}" from the phone`,
      trigger: `${phone} input[name=body]`,
      run: `edit ${text}`,
    },
    {
      content: "Send the reply",
      trigger: `${phone} .o_sms_simulator_send`,
      run: "click",
      expectUnloadPage: true,
    },
  ];
}
