// @vitest-environment happy-dom
import type { Client } from '@trail/sdk-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureClicks } from './clicks.ts';
import { captureForms } from './forms.ts';
import { capturePages } from './pages.ts';

const stub = () => {
  const page = vi.fn();
  const track = vi.fn();
  return { page, track, client: { page, track } as unknown as Client };
};

/** Changes the URL without going through the (patched) history methods, as the browser does on back. */
const silentlyGo = (url: string) => History.prototype.pushState.call(history, null, '', url);

/** Resolves once the frame after now has run and the task after it: when a route's view is due. */
const nextFrame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 10)));

describe('capturePages', () => {
  beforeEach(() => {
    silentlyGo('/start');
    document.title = 'Start';
  });
  afterEach(() => {
    // Back to the prototype's methods, so the next test wraps the originals.
    delete (history as unknown as Record<string, unknown>).pushState;
    delete (history as unknown as Record<string, unknown>).replaceState;
  });

  it('records the page it starts on, with the document title', () => {
    const { page, client } = stub();
    capturePages(client);
    expect(page).toHaveBeenCalledTimes(1);
    expect(page).toHaveBeenCalledWith('Start');
  });

  it('records pushState and replaceState route changes', async () => {
    const { page, client } = stub();
    capturePages(client);
    document.title = 'Product';
    history.pushState({}, '', '/product/1');
    expect(location.pathname).toBe('/product/1');
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(2));
    expect(page).toHaveBeenLastCalledWith('Product');
    history.replaceState({}, '', '/product/1?tab=reviews');
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(3));
  });

  it('records a route with the title its router sets after the URL, in the same task or a later one', async () => {
    const { page, client } = stub();
    capturePages(client);
    history.pushState({}, '', '/teas');
    document.title = 'Teas';
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(2));
    history.pushState({}, '', '/about');
    setTimeout(() => (document.title = 'About'));
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(3));
    await nextFrame();
    expect(page.mock.calls).toEqual([['Start'], ['Teas'], ['About']]);
  });

  it('records a route whose title never changes after the next frame', async () => {
    const { page, client } = stub();
    capturePages(client);
    history.pushState({}, '', '/same-title');
    await nextFrame();
    expect(page.mock.calls).toEqual([['Start'], ['Start']]);
  });

  it('records back/forward (popstate)', async () => {
    const { page, client } = stub();
    capturePages(client);
    silentlyGo('/earlier');
    dispatchEvent(new PopStateEvent('popstate'));
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(2));
  });

  it('records hash changes', async () => {
    const { page, client } = stub();
    capturePages(client);
    location.hash = '#reviews';
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(2));
    silentlyGo('/start#specs');
    dispatchEvent(new HashChangeEvent('hashchange'));
    await vi.waitFor(() => expect(page).toHaveBeenCalledTimes(3));
  });

  it('counts the same URL twice in a row once, and a redirect as its destination', async () => {
    const { page, client } = stub();
    capturePages(client);
    history.replaceState({ framework: true }, '', location.href);
    history.pushState({}, '', '/start');
    dispatchEvent(new PopStateEvent('popstate'));
    await nextFrame();
    expect(page).toHaveBeenCalledTimes(1);
    history.pushState({}, '', '/next');
    history.replaceState({ restored: true }, '', '/next');
    history.replaceState({}, '', '/login');
    await nextFrame();
    expect(page).toHaveBeenCalledTimes(2);
  });

  it('keeps the history methods working', () => {
    const { client } = stub();
    capturePages(client);
    history.pushState({ n: 1 }, '', '/kept');
    expect(history.state).toEqual({ n: 1 });
    expect(location.pathname).toBe('/kept');
  });
});

describe('captureClicks', () => {
  const { track, client } = stub();
  beforeAll(() => {
    captureClicks(client);
    // No navigation when a link is clicked in the test document.
    document.addEventListener('click', (ev) => ev.preventDefault());
  });
  beforeEach(() => {
    track.mockClear();
    document.body.innerHTML = `
      <a id="buy" class="btn primary extra" href="/checkout">  Buy now </a>
      <button class="cta"><span id="inner">Add <b>to cart</b></span></button>
      <div id="signup" data-track="Signup" data-track-plan="pro" data-track-billing-cycle="yearly">Start trial</div>
      <div id="plain"><span id="text">just text</span></div>
      <input id="send" type="submit" value="Send">
      <span id="role" role="button">Menu</span>
      <button id="long">${'x'.repeat(150)}</button>`;
  });
  const click = (id: string) =>
    document.getElementById(id)?.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));

  it('records a link with its text, selector and href', () => {
    click('buy');
    expect(track).toHaveBeenCalledTimes(1);
    expect(track.mock.calls[0]).toEqual([
      'Element Clicked',
      { text: 'Buy now', selector: 'a#buy.btn.primary', href: `${location.origin}/checkout` },
    ]);
  });

  it('records a click inside a button as the button', () => {
    click('inner');
    expect(track).toHaveBeenCalledTimes(1);
    const [name, props] = track.mock.calls[0] ?? [];
    expect(name).toBe('Element Clicked');
    expect(props).toEqual({ text: 'Add to cart', selector: 'button.cta' });
    expect(props.href).toBeUndefined();
  });

  it('names the event by data-track and adds data-track-* as properties', () => {
    click('signup');
    expect(track.mock.calls).toEqual([
      ['Signup', { text: 'Start trial', selector: 'div#signup', plan: 'pro', billingCycle: 'yearly' }],
    ]);
  });

  it('records submit inputs by their value and role=button elements', () => {
    click('send');
    click('role');
    expect(track.mock.calls).toEqual([
      ['Element Clicked', { text: 'Send', selector: 'input#send' }],
      ['Element Clicked', { text: 'Menu', selector: 'span#role' }],
    ]);
  });

  it('records no value a visitor typed or chose, nor text or links written into an editor', () => {
    document.body.innerHTML = `
      <input id="pw" type="password" data-track="Password">
      <input id="check" type="checkbox" value="opt-secret" data-track="Check">
      <textarea id="note" data-track="Note">note-secret</textarea>
      <div id="editor" contenteditable="true" data-track="Editor">draft-secret <a id="link" href="https://link-secret.example/">link-secret</a></div>`;
    (document.getElementById('pw') as HTMLInputElement).value = 'pw-secret';
    for (const id of ['pw', 'check', 'note', 'editor', 'link']) click(id);
    expect(track.mock.calls.map(([name, props]) => [name, props.text, props.href])).toEqual([
      ['Password', '', undefined],
      ['Check', '', undefined],
      ['Note', '', undefined],
      ['Editor', '', undefined],
      ['Element Clicked', '', undefined],
    ]);
    expect(JSON.stringify(track.mock.calls)).not.toContain('secret');
  });

  it('cuts the text at 100 characters', () => {
    click('long');
    expect(track.mock.calls[0]?.[1].text).toBe('x'.repeat(100));
  });

  it('ignores clicks on plain elements', () => {
    click('plain');
    click('text');
    document.body.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(track).not.toHaveBeenCalled();
  });

  it('records a click even when the page stops its propagation', () => {
    document.getElementById('buy')?.addEventListener('click', (ev) => ev.stopPropagation());
    click('buy');
    expect(track).toHaveBeenCalledTimes(1);
  });
});

describe('captureForms', () => {
  it('records a submission with id, name and action, never the field values, whatever the fields are named', () => {
    const { track, client } = stub();
    captureForms(client);
    document.body.innerHTML = `
      <form id="signup" name="newsletter" action="/subscribe">
        <input name="id" value="id-field"><input name="action" value="action-field">
        <input name="email" value="ada@example.com">
        <input name="password" type="password" value="s3cret-pass">
        <textarea name="note">call 13800138000</textarea>
      </form>`;
    const form = document.querySelector('form') as HTMLFormElement;
    form.addEventListener('submit', (ev) => ev.preventDefault());
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    expect(track.mock.calls).toEqual([
      ['Form Submitted', { id: 'signup', name: 'newsletter', action: `${location.origin}/subscribe` }],
    ]);
    const sent = JSON.stringify(track.mock.calls);
    for (const secret of ['id-field', 'action-field', 'ada@example.com', 's3cret-pass', '13800138000'])
      expect(sent).not.toContain(secret);
  });

  it('records an anonymous form with empty id and name', () => {
    const { track, client } = stub();
    captureForms(client);
    document.body.innerHTML = '<form><input name="q" value="tea"></form>';
    const form = document.querySelector('form') as HTMLFormElement;
    form.addEventListener('submit', (ev) => ev.preventDefault());
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    expect(track).toHaveBeenCalledTimes(1);
    expect(track.mock.calls[0]?.[1]).toMatchObject({ id: '', name: '' });
  });
});
