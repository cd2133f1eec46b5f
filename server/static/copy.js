// "Copy the link" buttons of the admin pages: copies the input named by data-copy and says so in the status line
// that follows it (its words come from the page, already in the page's language).
for (const button of document.querySelectorAll('[data-copy]')) {
  button.addEventListener('click', async () => {
    const input = document.getElementById(button.dataset.copy);
    const status = document.getElementById(`${button.dataset.copy}-status`);
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = button.dataset.copied;
    } catch {
      input.select();
      status.textContent = button.dataset.copyFailed;
    }
  });
}
