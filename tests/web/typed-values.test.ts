import { gunzipSync } from 'node:zlib';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { openPage, startWebEnv, storedEvents, type WebEnv } from '../support/web.ts';

/** A form control or editable element and how a visitor puts a secret into it. */
interface Field {
  kind: string;
  /** Markup of the control; `SECRET` is replaced where the secret sits in the markup itself. */
  html: string;
  /** Puts the secret in as a visitor would; nothing for secrets that sit in the markup. */
  enter?: (control: Locator, secret: string) => Promise<unknown>;
  /** The secret as the control holds it, when it is not the seed-tagged string itself. */
  secret?: (seed: number) => string;
  /** Clicked with a synthetic event: a hidden control cannot be clicked, a file input opens a picker. */
  dispatch?: boolean;
}

const fill = (control: Locator, secret: string) => control.fill(secret);
const type = (control: Locator, secret: string) => control.pressSequentially(secret);

const FIELDS: Field[] = [
  ...['text', 'password', 'email', 'tel', 'search', 'url', 'bogus'].map((t) => ({
    kind: t,
    html: `<input type="${t}">`,
    enter: type,
    secret: (seed: number) => (t === 'email' ? `s3cret${seed}@example.org` : `S3cret-${t}-${seed}`),
  })),
  { kind: 'no-type', html: '<input>', enter: type },
  { kind: 'number', html: '<input type="number">', enter: fill, secret: (seed) => `7${seed}9` },
  { kind: 'date', html: '<input type="date">', enter: fill, secret: () => '1987-06-05' },
  { kind: 'month', html: '<input type="month">', enter: fill, secret: () => '1987-06' },
  { kind: 'week', html: '<input type="week">', enter: fill, secret: () => '1987-W23' },
  { kind: 'time', html: '<input type="time" step="0.001">', enter: fill, secret: () => '04:03:02.001' },
  {
    kind: 'datetime-local',
    html: '<input type="datetime-local">',
    enter: fill,
    secret: () => '1987-06-05T04:03',
  },
  {
    kind: 'range',
    html: '<input type="range" min="0" max="9999999">',
    enter: (control, secret) => control.evaluate((el: HTMLInputElement, v) => void (el.value = v), secret),
    secret: (seed) => `8${seed}`.slice(0, 7),
    dispatch: true, // a real click would move the slider off the value
  },
  { kind: 'color', html: '<input type="color">', enter: fill, secret: () => '#a1b2c3' },
  { kind: 'hidden', html: '<input type="hidden" value="SECRET">', dispatch: true },
  { kind: 'checkbox', html: '<input type="checkbox" value="SECRET">', enter: (c) => c.check() },
  { kind: 'radio', html: '<input type="radio" value="SECRET">', enter: (c) => c.check() },
  {
    kind: 'file',
    html: '<input type="file">',
    enter: (control, secret) =>
      control.setInputFiles({ name: `${secret}.txt`, mimeType: 'text/plain', buffer: Buffer.from('x') }),
    dispatch: true,
  },
  { kind: 'textarea', html: '<textarea></textarea>', enter: type },
  {
    kind: 'select',
    html: '<select><option value="">Pick</option><option value="SECRET">Oolong</option></select>',
    enter: (control, secret) => control.selectOption(secret),
  },
  {
    kind: 'listbox',
    html: '<select multiple><option value="SECRET">Oolong</option><option>Puer</option></select>',
    enter: (control, secret) => control.selectOption(secret),
  },
  { kind: 'contenteditable', html: '<div contenteditable="true"></div>', enter: type },
  // Clicked on the span: text in an editor, as the visitor wrote it.
  { kind: 'inside-editable', html: '<div contenteditable="true">A <span>SECRET</span> b</div>' },
];

/** A link the visitor wrote into an editor: a click target of its own, named Element Clicked. */
const EDITOR_LINK = '<div contenteditable="true"><a href="https://SECRET.example/">SECRET link</a></div>';

/** Button-like inputs: their value is the label the site wrote, and stays the click's text. */
const BUTTONS = ['submit', 'button', 'reset', 'image'];

// Chromium against a real collector: a visitor types a secret into every kind of form control, then
// clicks it: on its own, as a `data-track` element, inside a `data-track` label and inside a
// `data-track` box. No request body the SDK sends may hold what was typed or chosen.
describe('browser SDK never captures typed values', { timeout: 120_000 }, () => {
  let env: WebEnv;
  const contexts: BrowserContext[] = [];
  /** Every request body sent to the collector, decompressed. */
  const bodies: string[] = [];
  const open = async (writeKey: string): Promise<Page> => {
    const context = await env.browser.newContext();
    contexts.push(context);
    const origin = new URL(env.collector.url).origin;
    context.on('request', (request) => {
      let body = request.postDataBuffer();
      if (!body || new URL(request.url()).origin !== origin) return;
      if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
      bodies.push(body.toString('utf8'));
    });
    const page = await context.newPage();
    await openPage(page, env.site, '/tag.html', { writeKey, autocapture: 'clicks,forms' });
    return page;
  };

  beforeAll(async () => {
    env = await startWebEnv([{ writeKey: 'typed-clicks' }, { writeKey: 'typed-forms' }]);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    bodies.length = 0;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('records clicks on every kind of control without what was typed or chosen', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const secrets = [...FIELDS.map((f) => f.secret?.(seed) ?? `s3cret-${f.kind}-${seed}`), `link${seed}`];
    const page = await open('typed-clicks');
    const variants = ['bare', 'track', 'label', 'box'] as const;
    await page.evaluate(
      ({ fields, buttons }) => {
        const form = document.createElement('form');
        form.addEventListener('submit', (ev) => ev.preventDefault());
        form.innerHTML =
          fields
            .map(
              ({ kind, html }) =>
                `<div id="bare-${kind}">${html}</div>` +
                `<div id="track-${kind}">${html.replace(/^<(\w+)/, `<$1 data-track="Field ${kind}"`)}</div>` +
                `<label id="label-${kind}" data-track="Label ${kind}">Label ${kind} ${html}</label>` +
                `<div id="box-${kind}" data-track="Box ${kind}">Box ${kind} ${html}</div>`,
            )
            .join('') +
          buttons
            .map(
              (t) =>
                `<input id="button-${t}" data-track="Button ${t}" type="${t}" value="Label of ${t}" style="width:9em;height:2em">`,
            )
            .join('');
        document.body.append(form);
      },
      {
        fields: [...FIELDS, { kind: 'editor-link', html: EDITOR_LINK }].map((f, i) => ({
          kind: f.kind,
          html: f.html.replaceAll('SECRET', secrets[i]!),
        })),
        buttons: BUTTONS,
      },
    );

    for (const [i, field] of FIELDS.entries()) {
      for (const variant of variants) {
        const control = page.locator(
          `#${variant}-${field.kind} > :is(input, textarea, select, [contenteditable])`,
        );
        await field.enter?.(control, secrets[i]!);
        const held = await control.evaluate((el) => (el as HTMLInputElement).value ?? el.innerHTML);
        expect(held, `the ${field.kind} control holds the secret`).toContain(secrets[i]);
        if (field.dispatch) await control.dispatchEvent('click');
        else if (field.kind === 'inside-editable') await control.locator('span').click();
        else await control.click();
      }
    }
    for (const t of BUTTONS) await page.locator(`#button-${t}`).click();
    for (const variant of variants) await page.locator(`#${variant}-editor-link a`).click();

    const expected = FIELDS.flatMap((f) => [`Field ${f.kind}`, `Label ${f.kind}`, `Box ${f.kind}`]);
    const rows = await waitFor(
      () => {
        const found = storedEvents(env.collector, 'typed-clicks').filter((r) => r.type === 'track');
        const names = found.map((r) => r.event);
        for (const name of expected) expect(names, `seed ${seed}`).toContain(name);
        for (const t of BUTTONS) expect(names).toContain(`Button ${t}`);
        expect(names.filter((n) => n === 'Element Clicked')).toHaveLength(variants.length);
        return found;
      },
      { timeout: 30_000 },
    );
    expect(bodies.length, 'the events went out').toBeGreaterThan(0);
    const kinds = [...FIELDS.map((f) => f.kind), 'editor-link'];
    const leaked = kinds.filter((_, i) => bodies.some((b) => b.includes(secrets[i]!)));
    expect(leaked, `controls whose secret was sent (seed ${seed})`).toEqual([]);
    const stored = JSON.stringify(rows.map((r) => r.payload));
    expect(kinds.filter((_, i) => stored.includes(secrets[i]!))).toEqual([]);

    // Without data-track a control is no click target; a link is, but not what was typed into it.
    expect(rows.filter((r) => r.event === 'Element Clicked').map((r) => r.payload.properties)).toEqual(
      variants.map(() => ({ text: '', selector: 'a' })),
    );
    // A button's value is the label the site wrote: it stays the click's text.
    for (const t of BUTTONS) {
      const button = rows.find((r) => r.event === `Button ${t}`)!;
      expect(button.payload.properties).toMatchObject({ text: `Label of ${t}` });
    }
    // The site's own words stay: the label's text.
    for (const f of FIELDS.filter((f) => !f.html.includes('contenteditable'))) {
      const label = rows.find((r) => r.event === `Label ${f.kind}`)!;
      expect(label.payload.properties.text, f.kind).toMatch(new RegExp(`^Label ${f.kind}`));
    }
  });

  it('records a form submission with its own id, name and action, never a field value', async () => {
    const seed = Math.floor(Math.random() * 1e6);
    const page = await open('typed-forms');
    await page.evaluate(() => {
      // Fields named like the form's properties hide them (`form.id` is the field).
      document.body.insertAdjacentHTML(
        'beforeend',
        `<form id="signup" name="newsletter" action="/subscribe">
           <input name="id"><input name="name"><input name="action"><input name="email" type="email">
           <input type="password" name="password"><textarea name="note"></textarea>
           <button id="send">Send</button>
         </form>`,
      );
      document.forms[0]!.addEventListener('submit', (ev) => ev.preventDefault());
    });
    const secrets = ['id', 'name', 'action', 'email', 'password', 'note'].map((n) =>
      n === 'email' ? `s3cret${seed}@example.org` : `S3cret-${n}-${seed}`,
    );
    for (const [i, n] of ['id', 'name', 'action', 'email', 'password', 'note'].entries()) {
      await page.locator(`[name=${n}]`).fill(secrets[i]!);
    }
    await page.click('#send');

    const row = await waitFor(() => {
      const [found] = storedEvents(env.collector, 'typed-forms', 'Form Submitted');
      expect(found).toBeDefined();
      return found!;
    });
    expect(row.payload.properties).toEqual({
      id: 'signup',
      name: 'newsletter',
      action: `${env.site.url}/subscribe`,
    });
    const leaks = secrets.filter((s) => bodies.some((b) => b.includes(s)));
    expect(leaks, `seed ${seed}`).toEqual([]);
  });
});
