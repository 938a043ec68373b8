// The demo's only script (CSP: script-src 'self', nothing inline): the copy button of a new
// token, a permission picker that offers valid combinations only, focus on the first refusal.
const RANK = { READ: 1, WRITE: 2, ADMIN: 3 };
const rankOf = (value) => RANK[value.split("_").pop()] ?? 0;

function keepRepositoryAtLeastProject() {
  const project = document.getElementById("projectPermission");
  const repository = document.getElementById("repositoryPermission");
  if (!project || !repository) return;
  const update = () => {
    const floor = rankOf(project.value);
    for (const option of repository.options) option.disabled = rankOf(option.value) < floor;
    if (rankOf(repository.value) < floor) {
      repository.value = [...repository.options].find((option) => !option.disabled).value;
    }
  };
  project.addEventListener("change", update);
  update();
}

function copyButtons() {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      const status = document.getElementById("copy-status");
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = "Copied to the clipboard.";
      } catch {
        field.select();
        if (status) status.textContent = "Select the token and copy it (Ctrl+C).";
      }
    });
  }
}

// After a refusal, the keyboard starts at the first field that needs a change.
function focusFirstProblem() {
  const field = document.querySelector('[aria-invalid="true"]');
  if (field) field.focus();
}

keepRepositoryAtLeastProject();
focusFirstProblem();
copyButtons();
