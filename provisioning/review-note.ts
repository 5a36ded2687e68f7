// The comment above edge.yaml's `review:`: whether the officers' page is served over HTTPS, and how to get there when
// it is not. Written by `init`, and turned to the HTTPS one when a bundle brings the page's certificate.

/** The comment text (each line starts with a space, as the yaml library writes `#` + line). Pure. */
export function reviewNote(box: string, tls: boolean): string {
  const where = ' 0.0.0.0 listens on every network of the box; `init --review-host ADDRESS` limits it to one.';
  if (tls) return ' The officers\' review page, over HTTPS with this box\'s certificate from the district CA (the hub\'s bundle).\n' + where;
  return (
    ' The officers\' review page, over PLAIN HTTP: no certificate yet, so passwords and footage cross the network in clear.\n' +
    ` For HTTPS add review.tls: on the hub, \`wardwatch provision credentials issue … --bundle ${box}.bundle --box-host ADDRESS\`\n` +
    ` and \`credentials apply\` that bundle here (it sets review.tls), or \`credentials tls --out DIR --box ${box} --host ADDRESS\`.\n` +
    where
  );
}

/** Whether a comment is the plain-HTTP note `init` wrote (and so may be replaced). */
export const isPlainReviewNote = (comment: string | null | undefined): boolean => typeof comment === 'string' && comment.includes('over PLAIN HTTP');
