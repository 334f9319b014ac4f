# Prints the full path of ISCC.exe, the Inno Setup 6 command-line compiler, found without a
# hard-coded version folder:
#   1. iscc.exe on PATH (a Chocolatey or Scoop shim, or a PATH the user set),
#   2. the InstallLocation of any "Inno Setup N" in the Uninstall registry keys (machine,
#      32-bit view, user), newest version first,
#   3. with -Install: `choco install innosetup`, then 1. and 2. again (GitHub's Windows images
#      have shipped with and without Inno Setup over time).
#
#   $iscc = & packaging\windows\find_iscc.ps1 -Install
#   & $iscc /DAppVersion=0.1.0 packaging\windows\zhilian.iss
param([switch]$Install)
$ErrorActionPreference = 'Stop'

function Find-Iscc {
    $cmd = Get-Command iscc.exe -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($cmd) { return $cmd.Source }
    $hives = @(
        'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall',
        'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall',
        'HKCU:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall')
    $found = foreach ($hive in $hives) {
        Get-ChildItem -Path $hive -ErrorAction SilentlyContinue |
            Where-Object { $_.PSChildName -like 'Inno Setup *_is1' } |
            ForEach-Object { Get-ItemProperty -Path $_.PSPath }
    }
    $byVersion = {
        try { [version]($_.DisplayVersion -replace '[^0-9.].*$', '') } catch { [version]'0.0' }
    }
    foreach ($entry in $found | Sort-Object $byVersion -Descending) {
        if ($entry.InstallLocation) {
            $exe = Join-Path $entry.InstallLocation 'ISCC.exe'
            if (Test-Path -LiteralPath $exe) { return $exe }
        }
    }
    return $null
}

$iscc = Find-Iscc
if (-not $iscc -and $Install) {
    choco install innosetup --yes --no-progress | Out-Host
    $iscc = Find-Iscc
}
if (-not $iscc) {
    Write-Error 'ISCC.exe (Inno Setup 6) was not found: install Inno Setup 6 (https://jrsoftware.org/isdl.php or choco install innosetup), or put iscc.exe on PATH'
    exit 1
}
Write-Output $iscc
